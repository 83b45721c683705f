// POST /sms/inbound: the SMS provider forwards replies here (form fields From, To, Body). Served
// only when a provider is configured (SMS_PROVIDER_URL and the SMS_AUTH_TOKEN it signs with), and
// only requests carrying that provider's signature are acted on.
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { handleInboundSms, isGenuineSignature } from '../../messaging/inbound-sms.ts';
import { sendProblem } from '../problem.ts';
import { parseBody } from '../parse-batch.ts';

const InboundForm = z.object({ From: z.string().min(1).max(64), To: z.string().max(64).optional(), Body: z.string().max(2000).default('') }).loose();
const EMPTY_REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function messagingInboundSmsRoutes(ctx: AppContext): Router {
  const r = Router();
  const { providerUrl, authToken, from } = ctx.config.sms;
  // Without a provider nobody can sign a reply, so the route does not exist.
  if (!providerUrl || !authToken) return r;
  r.post('/sms/inbound', express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) if (typeof v === 'string') fields[k] = v;
    // The provider signs the URL it was configured with, which is ours as APP_URL names it (never the Host header).
    const url = `${ctx.config.appUrl}${req.originalUrl}`;
    if (!isGenuineSignature(authToken, url, fields, req.get('x-twilio-signature'))) {
      req.log.warn('inbound sms refused: bad signature');
      return sendProblem(res, 403, 'The request signature is missing or wrong.', { slug: 'invalid-signature' });
    }
    const form = parseBody(InboundForm, fields);
    const result = await handleInboundSms(ctx.db.pool, { from: form.From, to: form.To, body: form.Body }, from);
    if (result.keyword) req.log.info({ keyword: result.keyword, profiles: result.changed, ownNumber: result.owned }, 'sms keyword reply');
    // The provider sends its own carrier-mandated confirmation; nothing more to say.
    res.type('text/xml').send(EMPTY_REPLY);
  });
  return r;
}
