// POST /sms/inbound: the SMS provider forwards replies here (form fields From, Body). With
// SMS_AUTH_TOKEN set, only requests carrying the provider's signature are accepted.
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { handleInboundSms, isGenuineSignature } from '../../messaging/inbound-sms.ts';
import { sendProblem } from '../problem.ts';
import { parseBody } from '../parse-batch.ts';

const InboundForm = z.object({ From: z.string().min(1).max(64), Body: z.string().max(2000).default('') }).loose();
const EMPTY_REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function messagingInboundSmsRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/sms/inbound', express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) if (typeof v === 'string') fields[k] = v;
    const token = ctx.config.sms.authToken;
    if (token) {
      // The provider signs the URL it was configured with, which is ours as APP_URL names it.
      const url = `${ctx.config.appUrl}${req.originalUrl}`;
      if (!isGenuineSignature(token, url, fields, req.get('x-twilio-signature'))) {
        return sendProblem(res, 403, 'The request signature is missing or wrong.', { slug: 'invalid-signature' });
      }
    } else if (ctx.config.nodeEnv === 'production') {
      // Unsigned, anyone could opt any number in: refuse rather than trust it.
      return sendProblem(res, 403, 'Set SMS_AUTH_TOKEN to accept inbound SMS.', { slug: 'inbound-sms-disabled' });
    }
    const form = parseBody(InboundForm, fields);
    const result = await handleInboundSms(ctx.db.pool, form.From, form.Body);
    if (result.keyword) req.log.info({ keyword: result.keyword, profiles: result.changed }, 'sms keyword reply');
    // The provider sends its own carrier-mandated confirmation; nothing more to say.
    res.type('text/xml').send(EMPTY_REPLY);
  });
  return r;
}
