// SMS out: a Twilio-style form POST (To, From, Body; basic auth account SID and token) when
// SMS_PROVIDER_URL is set, otherwise the built-in outbox.
import axios from 'axios';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { PermanentDeliveryError } from './delivery-error.ts';

export type SmsTransport = {
  provider: 'sms-http' | 'outbox';
  send(sms: { to: string; body: string; messageId: string }): Promise<{ providerId: string | null }>;
};

const STOP_NOTICE = 'Reply STOP to opt out';

/** Carriers require the opt-out instruction; add it unless the text already names STOP. */
export function withStopNotice(text: string): string {
  return /\bSTOP\b/.test(text) ? text : `${text.trimEnd()}\n${STOP_NOTICE}`;
}

const ProviderReply = z.object({ sid: z.string().max(200).optional() }).loose();

export function createSmsTransport(sms: Config['sms']): SmsTransport {
  const url = sms.providerUrl;
  if (!url) return { provider: 'outbox', send: async (m) => ({ providerId: `outbox:${m.messageId}` }) };
  if (!sms.from) throw new Error('SMS_PROVIDER_URL is set but SMS_FROM is not: set the sending number');
  const from = sms.from;
  const auth = sms.accountSid && sms.authToken ? { username: sms.accountSid, password: sms.authToken } : undefined;
  return {
    provider: 'sms-http',
    async send(m) {
      try {
        const res = await axios.post(url, new URLSearchParams({ To: m.to, From: from, Body: m.body }).toString(), {
          auth,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          timeout: 15_000,
          maxRedirects: 0,
        });
        const reply = ProviderReply.safeParse(res.data);
        return { providerId: reply.success ? (reply.data.sid ?? null) : null };
      } catch (err) {
        const status = axios.isAxiosError(err) ? err.response?.status : undefined;
        // A 4xx other than timeout/rate limit is a refusal of this message (bad number, blocked).
        if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
          throw new PermanentDeliveryError(`SMS provider answered ${status}`, { cause: err });
        }
        throw new Error(status ? `SMS provider answered ${status}` : `SMS provider unreachable: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
