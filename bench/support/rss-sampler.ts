// Resident memory of another process, read from /proc/<pid>/status (Linux) every 250 ms:
// VmRSS now, and VmHWM, the kernel's own high-water mark since the process started, so a spike
// shorter than the interval still counts towards the peak.
import { readFile } from 'node:fs/promises';

export type RssSample = { atMs: number; rss: number; hwm: number };

export type RssSummary = {
  samples: RssSample[];
  /** Highest VmHWM seen: the peak over the process's whole life, start-up included. */
  peak: number;
  last: number;
  /** Least-squares growth of VmRSS after warm-up (the first quarter dropped), in bytes an hour. */
  slopePerHour: number;
};

export type RssSampler = { pid: number; sampleNow(): Promise<RssSample | undefined>; stop(): Promise<RssSummary> };

export const MB = 1024 * 1024;
export const mb = (bytes: number): number => Math.round(bytes / MB);

const field = (status: string, name: string): number => {
  const kb = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
};

export async function readRss(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return { rss: field(status, 'VmRSS'), hwm: field(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function summarise(samples: RssSample[]): RssSummary {
  const steady = samples.slice(Math.floor(samples.length / 4));
  const perMs = slope(steady.map((s) => [s.atMs, s.rss]));
  return {
    samples,
    peak: Math.max(0, ...samples.map((s) => s.hwm)),
    last: samples.at(-1)?.rss ?? 0,
    slopePerHour: perMs * 3_600_000,
  };
}

export function sampleRss(pid: number, intervalMs = 250): RssSampler {
  const started = Date.now();
  const samples: RssSample[] = [];
  const sampleNow = async () => {
    const r = await readRss(pid);
    if (!r) return undefined;
    const s = { atMs: Date.now() - started, ...r };
    samples.push(s);
    return s;
  };
  void sampleNow();
  const timer = setInterval(() => void sampleNow(), intervalMs);
  return {
    pid,
    sampleNow,
    async stop() {
      clearInterval(timer);
      await sampleNow();
      return summarise(samples);
    },
  };
}

/** The sample nearest before `atMs`, for figures at phase boundaries. */
export function rssAt(samples: RssSample[], atMs: number): number {
  let best = 0;
  for (const s of samples) if (s.atMs <= atMs) best = s.rss;
  return best;
}
