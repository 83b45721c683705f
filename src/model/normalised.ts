import type { ProductInput, StockLevelReport } from './catalog.ts';
import type { EventInput } from './event.ts';
import type { ProfileIdentity, ProfileInput } from './profile.ts';
import type { ExternalProductId } from './ids.ts';

/** What one platform payload means in the common model; ingest applies it. */
export type Normalised =
  | { kind: 'catalog'; products: ProductInput[] }
  /** Single-location stock reports of items whose every location is stored (see StockLevelReport). */
  | { kind: 'stock-levels'; levels: StockLevelReport[] }
  | { kind: 'product-deleted'; externalIds: ExternalProductId[] }
  | { kind: 'events'; events: EventInput[] }
  | { kind: 'profiles'; profiles: ProfileInput[] }
  | { kind: 'uninstalled' }
  /** Privacy law: forget these people (or everyone in the store): profiles emptied, events gone. */
  | { kind: 'erase-personal-data'; people: ProfileIdentity[] | 'everyone' }
  /** Privacy law: keep a copy of what we hold on these people for the merchant, under the request id. */
  | { kind: 'export-personal-data'; requestId: string; people: ProfileIdentity[] }
  | { kind: 'ignored'; reason: string };
