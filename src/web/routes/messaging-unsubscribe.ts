// GET /u/:token shows a confirmation page and changes nothing (mail scanners prefetch links);
// POST /u/:token unsubscribes, both from that page and as the RFC 8058 one-click request.
// No CSRF token is needed: the state change is authorised by the signed token in the URL,
// which a third-party page cannot know, and there is no cookie or session to ride on.
import express, { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { messageLinkKey } from '../../messaging/links.ts';
import { lookUpUnsubscribe, unsubscribe } from '../../messaging/tracking.ts';

const CHANNEL_NAME = { email: 'emails', sms: 'text messages' } as const;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

const INVALID = page('Link not valid', '<p>This unsubscribe link is not valid. Use the link from the most recent message.</p>');

export function messagingUnsubscribeRoutes(ctx: AppContext): Router {
  const key = messageLinkKey(ctx.secrets);
  const r = Router();
  r.get('/u/:token', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const target = await lookUpUnsubscribe(ctx.db.pool, key, req.params.token);
    if (!target) return res.status(400).type('html').send(INVALID);
    const what = CHANNEL_NAME[target.channel];
    if (target.consent === 'unsubscribed' || target.consent === null) {
      return res.type('html').send(page('You are unsubscribed', `<p>You will not receive ${what} from this store.</p>`));
    }
    // action is the page's own URL: the token never leaves this origin.
    res.type('html').send(
      page('Unsubscribe', `<p>Stop receiving ${what} from this store?</p><form method="post"><button type="submit">Unsubscribe</button></form>`),
    );
  });
  r.post('/u/:token', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const done = await unsubscribe(ctx.db.pool, key, req.params.token);
    if (!done) return res.status(400).type('html').send(INVALID);
    req.log.info({ channel: done.channel }, 'unsubscribed through a message link');
    res.type('html').send(page('You are unsubscribed', `<p>You will not receive ${CHANNEL_NAME[done.channel]} from this store.</p>`));
  });
  return r;
}
