// Message templates in Liquid. Merchants write them, so the engine is sandboxed: no file system
// (in-memory template map, and the tags that load other templates removed so they fail at
// save time rather than at send time), own properties only (no prototype walking), and limits on
// template size, render time and memory so one template cannot stall a worker.
import { Liquid, type Template } from 'liquidjs';

const LIMITS = { parseLimit: 200_000, renderLimit: 2_000, memoryLimit: 50_000_000 };

function createEngine(escapeHtml: boolean): Liquid {
  const engine = new Liquid({
    templates: {},
    strictFilters: false,
    strictVariables: false,
    ownPropertyOnly: true,
    cache: false,
    ...(escapeHtml ? { outputEscape: 'escape' as const } : {}),
    ...LIMITS,
  });
  for (const tag of ['include', 'render', 'layout']) delete engine.tags[tag];
  engine.registerFilter('money', money);
  return engine;
}

/** `{{ item.price | money: store.currency }}`: "€59.00"; an unknown currency shows the bare amount. */
export function money(value: unknown, currency?: unknown): string {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return '';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: typeof currency === 'string' && currency ? currency : 'USD' }).format(n);
  } catch {
    return n.toFixed(2);
  }
}

const plain = createEngine(false);
const html = createEngine(true);

export type RenderOptions = {
  /**
   * Escape every output for HTML (profile and event values come from shoppers and storefronts);
   * a template opts a trusted value out with `| raw`. Use for email HTML, not subjects or SMS.
   */
  escapeHtml?: boolean;
};

export function checkTemplate(source: string): { ok: true } | { ok: false; error: string } {
  try {
    plain.parse(source);
    return { ok: true };
  } catch (err) {
    // LiquidJS messages carry the position already: `tag "x" not found, line:2, col:1`.
    return { ok: false, error: (err as Error).message };
  }
}

/** Renders with missing variables as empty, and names them (`profile.firstName`) for previews. */
export async function renderTemplate(
  source: string,
  vars: Record<string, unknown>,
  opts: RenderOptions = {},
): Promise<{ output: string; missing: string[] }> {
  const engine = opts.escapeHtml ? html : plain;
  const { tpl, uses } = compiled(engine, opts.escapeHtml === true, source);
  const output = String(await engine.render(tpl, vars));
  return { output, missing: missingPaths(uses, vars) };
}

/** A variable the template reads; a fallback is one only read as a `default:` argument. */
type Use = { segments: Segments; output: number; fallback: boolean };
type Compiled = { tpl: Template[]; uses: Use[] };
const compiledCache = new Map<string, Compiled>();
const CACHE_LIMIT = 500;

/**
 * A flow renders the same few templates for every shopper in a batch: parse each once. The
 * cache is bounded (oldest out first), since merchants edit templates and each edit is new.
 */
function compiled(engine: Liquid, escapeHtml: boolean, source: string): Compiled {
  const key = `${escapeHtml ? 'h' : 'p'}:${source}`;
  let hit = compiledCache.get(key);
  if (!hit) {
    const tpl: Template[] = engine.parse(source);
    hit = { tpl, uses: usesOf(source, engine.analyzeSync(tpl, { partials: false }).globals) };
    if (compiledCache.size >= CACHE_LIMIT) compiledCache.delete(compiledCache.keys().next().value!);
    compiledCache.set(key, hit);
  }
  return hit;
}

type Segments = Array<string | number | Segments>;
type Located = { toArray(): Segments; location: { row: number; col: number } };

/** Where each variable sits: in which `{{ }}` output (by its offset), and whether after `default:`. */
function usesOf(source: string, globals: Record<string, Located[]>): Use[] {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const uses: Use[] = [];
  for (const list of Object.values(globals)) {
    for (const v of list) {
      const at = (lineStarts[v.location.row - 1] ?? 0) + v.location.col - 1;
      const before = source.slice(0, at);
      const open = before.lastIndexOf('{{');
      const inOutput = open >= 0 && before.lastIndexOf('}}') < open;
      uses.push({ segments: v.toArray(), output: inOutput ? open : -1 - at, fallback: inOutput && /\|\s*default\s*:\s*$/.test(before) });
    }
  }
  return uses;
}

function missingPaths(uses: Use[], vars: Record<string, unknown>): string[] {
  const missing = new Set<string>();
  const absent = (u: Use) => resolve(vars, u.segments as Array<string | number>) === undefined;
  for (const use of uses) {
    // A computed key (`a[b.c]`) is known only while rendering; its own variables are listed separately.
    if (use.segments.some((s) => Array.isArray(s))) continue;
    if (!absent(use)) continue;
    // `a | default: b` needs b only when a is missing too.
    if (use.fallback && !uses.filter((u) => u.output === use.output && !u.fallback).every(absent)) continue;
    missing.add(format(use.segments as Array<string | number>));
  }
  // `product.title` missing implies `product` may be too; name only the longest paths.
  const all = [...missing];
  return all.filter((p) => !all.some((q) => q !== p && (q.startsWith(`${p}.`) || q.startsWith(`${p}[`)))).sort();
}

function resolve(root: unknown, segments: Array<string | number>): unknown {
  let value: unknown = root;
  for (const seg of segments) {
    if (value === null || value === undefined) return undefined;
    if ((Array.isArray(value) || typeof value === 'string') && seg === 'size') value = value.length;
    else if (Array.isArray(value) && seg === 'first') value = value[0];
    else if (Array.isArray(value) && seg === 'last') value = value[value.length - 1];
    else if (typeof value === 'object' && Object.hasOwn(value, seg)) value = (value as Record<string | number, unknown>)[seg];
    else if (Array.isArray(value) && typeof seg === 'number') value = value.at(seg);
    else return undefined;
  }
  return value;
}

function format(segments: Array<string | number>): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
