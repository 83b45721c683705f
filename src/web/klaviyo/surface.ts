// The part of Klaviyo's API that is served, in one list: the unknown-endpoint answer names it and
// the migration guide repeats it. Paths are Klaviyo's, with or without the trailing slash.
export const KNOWN_REVISIONS: readonly string[] = ['2026-07-15'];

export const SERVER_ENDPOINTS = [
  'POST /api/events/',
  'POST /api/event-bulk-create-jobs/',
  'POST /api/profiles/',
  'GET /api/profiles/?filter=equals(email,"…")',
  'GET /api/profiles/{id}/',
  'PATCH /api/profiles/{id}/',
  'POST /api/profile-subscription-bulk-create-jobs/',
  'POST /api/catalog-items/',
  'GET /api/catalog-items/',
  'GET /api/catalog-items/{id}/',
  'PATCH /api/catalog-items/{id}/',
  'POST /api/catalog-variants/',
  'GET /api/catalog-variants/',
  'GET /api/catalog-variants/{id}/',
  'PATCH /api/catalog-variants/{id}/',
  'POST /api/catalog-item-bulk-create-jobs/',
  'POST /api/catalog-item-bulk-update-jobs/',
  'POST /api/catalog-variant-bulk-create-jobs/',
  'POST /api/catalog-variant-bulk-update-jobs/',
  'POST /api/back-in-stock-subscriptions/',
] as const;

export const CLIENT_ENDPOINTS = [
  'POST /client/events/?company_id=…',
  'POST /client/profiles/?company_id=…',
  'POST /client/subscriptions/?company_id=…',
  'POST /client/back-in-stock-subscriptions/?company_id=…',
] as const;

export function unsupportedDetail(method: string, path: string): string {
  return `${method} ${path} is not part of the Klaviyo-compatible API this service offers. Supported: ${[...SERVER_ENDPOINTS, ...CLIENT_ENDPOINTS].join('; ')}.`;
}
