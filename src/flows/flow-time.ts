// Calendar arithmetic for delays, quiet hours and dates, in the profile's own timezone.
import { DateTime, Duration } from 'luxon';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export function zoneOf(timezone: string | null | undefined): string {
  return timezone && DateTime.local().setZone(timezone).isValid ? timezone : 'UTC';
}

export function addDuration(from: Date, iso: string): Date {
  return DateTime.fromJSDate(from).plus(Duration.fromISO(iso)).toJSDate();
}

export function durationMs(iso: string): number {
  return Duration.fromISO(iso).as('milliseconds');
}

function hm(s: string): { hour: number; minute: number } {
  const [h, m] = s.split(':').map(Number);
  return { hour: h ?? 0, minute: m ?? 0 };
}

/** The first moment after `from` at the given local time, on one of the weekdays (any, when none given). */
export function nextLocalTime(from: Date, time: string, timezone: string | null, weekdays?: readonly Weekday[]): Date {
  const zone = zoneOf(timezone);
  const start = DateTime.fromJSDate(from).setZone(zone);
  let at = start.set({ ...hm(time), second: 0, millisecond: 0 });
  for (let i = 0; i < 8; i++) {
    const day = WEEKDAYS[at.weekday - 1]!;
    if (at > start && (!weekdays || weekdays.length === 0 || weekdays.includes(day))) return at.toJSDate();
    at = at.plus({ days: 1 }).set(hm(time));
  }
  return at.toJSDate();
}

/** When quiet hours (start–end, local) hold at `now`, the time they end; otherwise null. */
export function quietUntil(now: Date, quiet: { start: string; end: string }, timezone: string | null): Date | null {
  const local = DateTime.fromJSDate(now).setZone(zoneOf(timezone));
  const minutes = local.hour * 60 + local.minute;
  const s = hm(quiet.start);
  const e = hm(quiet.end);
  const startM = s.hour * 60 + s.minute;
  const endM = e.hour * 60 + e.minute;
  const inside = startM <= endM ? minutes >= startM && minutes < endM : minutes >= startM || minutes < endM;
  return inside ? nextLocalTime(now, quiet.end, timezone) : null;
}

/**
 * The next occurrence (at or after `from`) of an anniversary date property such as a birthday,
 * shifted by offsetDays, at the local time of day. Feb 29 falls on Feb 28 in other years.
 */
export function nextAnniversary(value: unknown, offsetDays: number, at: string, timezone: string | null, from: Date): Date | null {
  if (typeof value !== 'string') return null;
  const zone = zoneOf(timezone);
  const local = localDate(value, zone);
  const m = /^(\d{4}|--)-?(\d{2})-(\d{2})/.exec(local);
  if (!m) return null;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  // An anniversary falls in the years after the date itself: the day of a first purchase is not its anniversary.
  const origin = m[1] === '--' ? -Infinity : Number(m[1]);
  const now = DateTime.fromJSDate(from).setZone(zone);
  for (const year of [now.year - 1, now.year, now.year + 1]) {
    if (year <= origin) continue;
    const base = DateTime.fromObject({ year, month, day: 1 }, { zone });
    const date = base.set({ day: Math.min(day, base.daysInMonth ?? 28) }).plus({ days: offsetDays }).set({ ...hm(at), second: 0, millisecond: 0 });
    if (date >= now.startOf('day')) return date.toJSDate();
  }
  return null;
}

/**
 * A moment (an ISO time such as firstPurchaseAt) becomes the calendar date it was in the
 * profile's timezone; a plain date stays as it is.
 */
function localDate(value: string, zone: string): string {
  const v = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return v;
  const t = DateTime.fromISO(v, { setZone: true });
  return t.isValid ? (t.setZone(zone).toISODate() ?? v) : v;
}
