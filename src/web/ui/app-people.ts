// Profiles: search, and one person's identifiers, consent, events, flows and messages.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { decodeCursor, encodeCursor, NUMERIC_CURSOR, UUID_CURSOR } from '../cursor.ts';
import { parseQuery } from '../parse-batch.ts';
import { CONSENT_WORDS, findPeople, IDENTIFIER_WORDS, personMessageView, personPage, RUN_WORDS } from '../../merchant/people.ts';
import { allowStyleAttributes } from './browser-router.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const SearchQuery = z.object({ q: z.string().trim().max(320).default(''), after: z.string().max(200).optional() });
const PersonQuery = z.object({ events: z.string().max(200).optional() });

export function appPeoplePages(r: Router, ctx: AppContext): void {
  r.get('/people', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const q = parseQuery(SearchQuery, req.query);
    const found = await findPeople(ctx.db.pool, store.id, { text: q.q, afterId: decodeCursor(q.after, UUID_CURSOR) });
    await render(res, 'app/people', {
      title: 'People',
      nav: 'people',
      q: q.q,
      people: found.people.map((p) => ({ ...p, emailConsentWords: CONSENT_WORDS[p.emailConsent], smsConsentWords: CONSENT_WORDS[p.smsConsent] })),
      next: found.nextAfter ? encodeCursor(found.nextAfter) : null,
      paged: Boolean(q.after),
    });
  });

  r.get('/people/:id', async (req, res, next) => {
    const { store } = res.locals as MerchantLocals;
    const q = parseQuery(PersonQuery, req.query);
    const found = await personPage(ctx.db.pool, store.id, String(req.params.id), decodeCursor(q.events, NUMERIC_CURSOR));
    if (!found) return next();
    const p = found.person;
    await render(res, 'app/person', {
      title: p.name || p.email || p.phone || 'Person',
      nav: 'people',
      person: p,
      identifiers: p.identifiers.map((i) => ({ ...i, kindWords: IDENTIFIER_WORDS[i.kind] ?? i.kind })),
      consent: [
        { channel: 'Email', ...p.consent.email, words: CONSENT_WORDS[p.consent.email.state] },
        { channel: 'SMS', ...p.consent.sms, words: CONSENT_WORDS[p.consent.sms.state] },
      ],
      properties: Object.entries(p.properties).map(([k, v]) => ({ name: k, value: typeof v === 'string' ? v : JSON.stringify(v) })),
      events: found.events.map((e) => ({ ...e, details: summarise(e.properties) })),
      nextEvents: found.nextEventsBefore ? encodeCursor(found.nextEventsBefore) : null,
      runs: found.runs.map((run) => ({ ...run, statusWords: RUN_WORDS[run.status] ?? run.status })),
      messages: found.messages,
    });
  });

  r.get('/people/:id/messages/:messageId', async (req, res, next) => {
    const { store } = res.locals as MerchantLocals;
    const m = await personMessageView(ctx.db.pool, store.id, String(req.params.id), String(req.params.messageId));
    if (!m) return next();
    allowStyleAttributes(res);
    await render(res, 'app/person-message', { title: m.subject ?? 'Message', nav: 'people', message: m, profileId: String(req.params.id) });
  });
}

/** A few of an event's properties in words, for the timeline; the whole event is in the API. */
function summarise(props: Record<string, unknown>): string {
  return Object.entries(props)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 60)}`)
    .join(' · ');
}
