// What every server-side Klaviyo call passes before its body is read: the private key in
// Klaviyo's header, a revision we know, the same per-store rate limit as /api/v1, and JSON.
import type { RequestHandler } from 'express';
import type pg from 'pg';
import type { AuthedLocals } from '../auth-private-key.ts';
import { verifyPrivateKey } from '../auth-private-key.ts';
import { KlaviyoError, sendKlaviyoError } from './errors.ts';
import { KNOWN_REVISIONS } from './surface.ts';

export function requireKlaviyoKey(pool: pg.Pool): RequestHandler {
  return async (req, res, next) => {
    const match = /^Klaviyo-API-Key\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      return sendKlaviyoError(res, new KlaviyoError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Send the store private key as "Authorization: Klaviyo-API-Key <private key>".'));
    }
    const verified = await verifyPrivateKey(pool, match[1]!);
    if (verified === 'invalid') {
      return sendKlaviyoError(res, new KlaviyoError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'The private key is not valid. Copy it again from the store settings.'));
    }
    if (verified === 'inactive') return sendKlaviyoError(res, new KlaviyoError(403, 'permission_denied', 'You do not have permission to perform this action.', 'This store is uninstalled.'));
    (res.locals as AuthedLocals).store = verified.store;
    next();
  };
}

export const requireRevision: RequestHandler = (req, res, next) => {
  const revision = req.get('revision');
  if (revision !== undefined && KNOWN_REVISIONS.includes(revision.trim())) return next();
  const detail = revision === undefined
    ? `Send a "revision" header; supported: ${KNOWN_REVISIONS.join(', ')}.`
    : `Revision "${revision.slice(0, 40)}" is not supported; supported: ${KNOWN_REVISIONS.join(', ')}.`;
  sendKlaviyoError(res, new KlaviyoError(400, 'invalid', 'Invalid input.', detail, { source: { parameter: 'revision' } }));
};

export const requireJson: RequestHandler = (req, res, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
    return sendKlaviyoError(res, new KlaviyoError(415, 'unsupported_media_type', 'Unsupported media type.', 'Send the body as application/json or application/vnd.api+json.'));
  }
  next();
};
