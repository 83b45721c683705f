// Turns a stored email into what goes on the wire: tracked links, the open pixel, a visible
// unsubscribe link and the one-click unsubscribe headers (RFC 8058). Pure and deterministic,
// so a retry composes the identical mail (same Message-ID, same links).
import { createHash } from 'node:crypto';
import type { StoredMessage } from '../db/repositories/messages.ts';
import { clickUrl, isRedirectable, openUrl, unsubscribeToken, unsubscribeUrl } from './links.ts';

export type ComposedEmail = {
  from: string;
  to: string;
  subject: string;
  html: string | undefined;
  text: string | undefined;
  messageId: string;
  headers: Record<string, string>;
};

export type ComposeContext = { appUrl: string; linkKey: Buffer; mailFrom: string };

/** The address inside `Name <addr@host>` or a bare address. */
export function fromAddress(mailFrom: string): string {
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(mailFrom);
  return (m?.[1] ?? mailFrom).trim();
}

/** Same store and dedupe key → same Message-ID, so receivers can fold a duplicate. */
export function messageIdFor(m: Pick<StoredMessage, 'storeId' | 'dedupeKey'>, mailFrom: string): string {
  const host = fromAddress(mailFrom).split('@')[1] ?? 'storeflow.localhost';
  const hash = createHash('sha256').update(`${m.storeId}\n${m.dedupeKey}`).digest('hex').slice(0, 32);
  return `<${hash}@${host}>`;
}

const decodeAttr = (v: string): string =>
  v.replace(/&amp;/gi, '&').replace(/&quot;/gi, '"').replace(/&#0*39;/g, "'").replace(/&#x0*27;/gi, "'");

/** Every http(s) href becomes a signed click redirect; the unsubscribe link stays as it is. */
export function rewriteLinks(html: string, ctx: ComposeContext, m: Pick<StoredMessage, 'storeId' | 'id'>): string {
  const keep = `${ctx.appUrl}/u/`;
  return html.replace(/(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2/gis, (whole, head: string, quote: string, raw: string) => {
    const url = decodeAttr(raw.trim());
    if (url.startsWith(keep) || !isRedirectable(url)) return whole;
    return `${head}${quote}${clickUrl(ctx.appUrl, ctx.linkKey, m.storeId, m.id, url)}${quote}`;
  });
}

function beforeBodyEnd(html: string, insert: string): string {
  const at = html.search(/<\/body\s*>/i);
  return at === -1 ? html + insert : html.slice(0, at) + insert + html.slice(at);
}

export function composeEmail(m: StoredMessage, ctx: ComposeContext): ComposedEmail {
  if (m.profileId === null) return composeTest(m, ctx);
  const unsubscribe = unsubscribeUrl(ctx.appUrl, ctx.linkKey, m.storeId, m.profileId, 'email');
  const from = fromAddress(ctx.mailFrom);
  let html: string | undefined;
  if (m.html) {
    html = rewriteLinks(m.html, ctx, m);
    // A mail without a visible way out breaks the law in most places; add one if the template has none.
    if (!html.includes(`${ctx.appUrl}/u/`)) {
      html = beforeBodyEnd(html, `<p style="font-size:12px;color:#777"><a href="${unsubscribe}">Unsubscribe</a></p>`);
    }
    html = beforeBodyEnd(html, `<img src="${openUrl(ctx.appUrl, ctx.linkKey, m.storeId, m.id)}" width="1" height="1" alt="" style="display:block;border:0">`);
  }
  let text = m.text ?? undefined;
  if (text !== undefined && !text.includes(`${ctx.appUrl}/u/`)) text = `${text}\n\nUnsubscribe: ${unsubscribe}\n`;
  return {
    from: ctx.mailFrom,
    to: m.to,
    subject: m.subject ?? '',
    html,
    text,
    messageId: messageIdFor(m, ctx.mailFrom),
    headers: {
      // The mailto form is for clients without HTTPS one-click; the address is the sender's own.
      'List-Unsubscribe': `<${unsubscribe}>, <mailto:${from}?subject=unsubscribe%20${unsubscribeToken(ctx.linkKey, m.storeId, m.profileId, 'email')}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

/**
 * A test send goes to the address the merchant typed, with no shopper behind it: no tracking
 * and no unsubscribe link, since there is no profile to unsubscribe.
 */
function composeTest(m: StoredMessage, ctx: ComposeContext): ComposedEmail {
  return { from: ctx.mailFrom, to: m.to, subject: m.subject ?? '', html: m.html ?? undefined, text: m.text ?? undefined, messageId: messageIdFor(m, ctx.mailFrom), headers: {} };
}
