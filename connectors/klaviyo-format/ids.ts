// Klaviyo names a custom catalog's items and variants `$custom:::$default:::<external id>`;
// the external id after the prefix is the one our catalog keeps.
export const CUSTOM_CATALOG_PREFIX = '$custom:::$default:::';

export function catalogResourceId(externalId: string): string {
  return `${CUSTOM_CATALOG_PREFIX}${externalId}`;
}

/** The external id inside a Klaviyo catalog id, or null when it is not a custom-catalog id. */
export function externalIdOf(resourceId: string): string | null {
  if (!resourceId.startsWith(CUSTOM_CATALOG_PREFIX)) return null;
  const id = resourceId.slice(CUSTOM_CATALOG_PREFIX.length).trim();
  return id.length > 0 && id.length <= 255 ? id : null;
}
