// The one gate for URLs a merchant or a payload supplies and the server then calls (flow webhook
// steps). Checked twice: when the URL is saved (the literal host and port), and at call time,
// where request-filtering-agent checks every address DNS returns inside the socket's own lookup,
// so the address checked is the address connected to and nothing resolves the name a second time.
import { isIP } from 'node:net';
import type { Agent } from 'node:http';
import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

export type OutboundRules = {
  /** Ports a URL may name (80 and 443 always; OUTBOUND_ALLOWED_PORTS adds more). */
  allowedPorts: readonly number[];
  /** `loopback` admits 127.0.0.1, ::1 and localhost for a receiver on this machine (never in production). */
  allowPrivate: 'none' | 'loopback';
};

export const STRICT_OUTBOUND: OutboundRules = { allowedPorts: [80, 443], allowPrivate: 'none' };

/** Exact addresses `loopback` admits; exact strings, so the agent matches them without CIDR parsing. */
const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'];
/** Names that only ever resolve inside a network (RFC 6761, RFC 8375, and common private zones). */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'lan', 'intranet', 'corp', 'private'];

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

function addressAllowed(address: string, rules: OutboundRules): boolean {
  const parsed = ipaddr.parse(address);
  if (rules.allowPrivate === 'loopback' && LOOPBACK_ADDRESSES.includes(parsed.toString())) return true;
  // The same rule the agent applies after DNS: only plain unicast (no private, loopback,
  // link-local, unique-local, multicast, reserved, IPv4-mapped or unspecified ranges).
  return parsed.range() === 'unicast';
}

/**
 * Whether the server may call this URL. The WHATWG parser has already turned decimal, octal and
 * hex IPv4 forms (http://2130706433/, http://0177.0.0.1/) into dotted quads, so one check covers them.
 */
export function checkOutboundUrl(raw: string, rules: OutboundRules): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must be an http:// or https:// URL' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!rules.allowedPorts.includes(port)) return { ok: false, reason: `may not use port ${port} (allowed: ${rules.allowedPorts.join(', ')})` };
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (isIP(host)) {
    return addressAllowed(host, rules) ? { ok: true, url } : { ok: false, reason: `points at ${host}, a private, loopback or reserved address` };
  }
  if (rules.allowPrivate === 'loopback' && host === 'localhost') return { ok: true, url };
  if (!host.includes('.')) return { ok: false, reason: `names ${host || 'no host'}, which is not a public host name` };
  const internal = INTERNAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (internal) return { ok: false, reason: `names ${host}, an internal host name (.${internal})` };
  return { ok: true, url };
}

const agents = new Map<string, Agent>();

/**
 * An agent that refuses to connect to any address `checkOutboundUrl` would refuse, checking the
 * addresses DNS returns. No keep-alive: each call resolves and is checked afresh.
 */
export function guardedAgent(url: URL, rules: OutboundRules): Agent {
  const key = `${url.protocol}${rules.allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: false, allowIPAddressList: rules.allowPrivate === 'loopback' ? LOOPBACK_ADDRESSES : [] };
    agent = url.protocol === 'https:' ? new RequestFilteringHttpsAgent(options) : new RequestFilteringHttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}
