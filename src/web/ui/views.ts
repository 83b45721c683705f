// LiquidJS for the browser side: templates under views/, every output HTML-escaped unless a
// template says `| raw`, layouts and partials resolved from views/ only.
import { join } from 'node:path';
import type { Response } from 'express';
import { Liquid } from 'liquidjs';
import type { SessionLocals } from '../session.ts';
import type { EmbedLocals } from './page-locals.ts';
import { formatMoney, formatWhen, type Locale } from '../../merchant/store-locale.ts';

const VIEWS_DIR = join(import.meta.dirname, '..', '..', '..', 'views');

let cacheTemplates = false;
let engine: Liquid | undefined;

/** Templates are read once and kept in production; elsewhere an edited view shows on the next request. */
export function cacheViews(on: boolean): void {
  if (engine && on !== cacheTemplates) engine = undefined;
  cacheTemplates = on;
}

function viewEngine(): Liquid {
  if (engine) return engine;
  const made = new Liquid({
    root: VIEWS_DIR,
    extname: '.liquid',
    outputEscape: 'escape',
    ownPropertyOnly: true,
    strictFilters: true,
    cache: cacheTemplates,
  });

  /** The store's timezone and currency while rendering (support pages have none: UTC and USD). */
  function localeOf(ctx: { getSync(paths: string[]): unknown }): Locale {
    const l = ctx.getSync(['locale']) as Partial<Locale> | undefined;
    return { timezone: l?.timezone ?? 'UTC', currency: l?.currency ?? 'USD' };
  }

  /** Dates in the store's timezone, the zone named: unambiguous for merchants anywhere. */
  made.registerFilter('when', function (this: { context: { getSync(paths: string[]): unknown } }, v: unknown) {
    return formatWhen(v, localeOf(this.context));
  });
  /** Money in the store's currency. */
  made.registerFilter('money', function (this: { context: { getSync(paths: string[]): unknown } }, v: unknown) {
    return formatMoney(v, localeOf(this.context));
  });
  /** JSON for data-* attributes; the autoescape makes it attribute-safe. */
  made.registerFilter('to_json', (v: unknown) => JSON.stringify(v ?? null));
  engine = made;
  return made;
}

export type Page = { title: string; [key: string]: unknown };

/** What the layout reads on every page; a page's own data under one of these names would be lost. */
const LAYOUT_KEYS = ['csrf', 'audience', 'viewer', 'app_bridge_key', 'locale'] as const;

/** Renders a view with what every page needs: who is signed in, the CSRF token, the audience. */
export async function render(res: Response, view: string, page: Page, status = 200): Promise<void> {
  const locals = res.locals as Partial<SessionLocals> & EmbedLocals & { viewer?: unknown; nav?: string; locale?: Locale };
  const clash = LAYOUT_KEYS.find((k) => Object.hasOwn(page, k));
  if (clash) throw new Error(`view ${view}: "${clash}" is the layout's; name the page's value otherwise`);
  const html = await viewEngine().renderFile(view, {
    ...page,
    csrf: locals.session?.csrfToken ?? '',
    audience: locals.audience,
    viewer: locals.viewer ?? null,
    nav: page.nav ?? locals.nav ?? '',
    app_bridge_key: locals.appBridge?.apiKey ?? null,
    locale: locals.locale ?? null,
  });
  res.status(status).type('html').send(html);
}
