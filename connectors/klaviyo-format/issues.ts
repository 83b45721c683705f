// A Klaviyo document that parses but cannot become our common model: which member of the
// document (a JSON pointer) and why. The web edge turns it into Klaviyo's 400 `invalid`.
export type FormatIssue = { pointer: string; detail: string };

export class FormatError extends Error {
  readonly issues: FormatIssue[];
  constructor(issues: FormatIssue[]) {
    super(issues.map((i) => `${i.pointer}: ${i.detail}`).join('; '));
    this.issues = issues;
  }
}

/** A zod issue path as a JSON pointer under `base`, through `rename` (common-model key → Klaviyo member). */
export function pointerOf(base: string, path: readonly PropertyKey[], rename: Record<string, string> = {}): string {
  if (path.length === 0) return base || '/';
  const [head, ...rest] = path.map(String);
  const mapped = rename[head!] ?? `/${head}`;
  return `${base}${mapped}${rest.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`;
}
