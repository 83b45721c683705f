import type { ProductInput } from './catalog.ts';
import type { EventInput } from './event.ts';
import type { ProfileInput } from './profile.ts';
import type { ExternalProductId } from './ids.ts';

/** What one platform payload means in the common model; ingest applies it. */
export type Normalised =
  | { kind: 'catalog'; products: ProductInput[] }
  | { kind: 'product-deleted'; externalIds: ExternalProductId[] }
  | { kind: 'events'; events: EventInput[] }
  | { kind: 'profiles'; profiles: ProfileInput[] }
  | { kind: 'uninstalled' }
  | { kind: 'ignored'; reason: string };
