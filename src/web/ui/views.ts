// LiquidJS for the browser side: templates under views/, every output HTML-escaped unless a
// template says `| raw`, layouts and partials resolved from views/ only.
import { join } from 'node:path';
import type { Response } from 'express';
import { Liquid } from 'liquidjs';
import type { SessionLocals } from '../session.ts';
import type { EmbedLocals } from './page-locals.ts';

const VIEWS_DIR = join(import.meta.dirname, '..', '..', '..', 'views');

const engine = new Liquid({
  root: VIEWS_DIR,
  extname: '.liquid',
  outputEscape: 'escape',
  ownPropertyOnly: true,
  strictFilters: true,
  cache: process.env.NODE_ENV === 'production',
});

const pad = (n: number) => String(n).padStart(2, '0');

/** Dates as "2026-05-04 13:07 UTC": unambiguous for merchants in any timezone. */
engine.registerFilter('when', (v: unknown) => {
  if (v === null || v === undefined || v === '') return '—';
  const d = v instanceof Date ? v : new Date(String(v));
  if (Number.isNaN(d.getTime())) return String(v);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
});
engine.registerFilter('money', (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? Number(v).toFixed(2) : '—'));
/** JSON for data-* attributes; the autoescape makes it attribute-safe. */
engine.registerFilter('to_json', (v: unknown) => JSON.stringify(v ?? null));

export type Page = { title: string; [key: string]: unknown };

/** Renders a view with what every page needs: who is signed in, the CSRF token, the audience. */
export async function render(res: Response, view: string, page: Page, status = 200): Promise<void> {
  const locals = res.locals as Partial<SessionLocals> & EmbedLocals & { viewer?: unknown; nav?: string };
  const html = await engine.renderFile(view, {
    ...page,
    csrf: locals.session?.csrfToken ?? '',
    audience: locals.audience,
    viewer: locals.viewer ?? null,
    nav: page.nav ?? locals.nav ?? '',
    app_bridge_key: locals.appBridge?.apiKey ?? null,
  });
  res.status(status).type('html').send(html);
}
