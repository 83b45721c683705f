// Branded ids: a VariantId cannot be passed where a ProductId is expected.
import { z } from 'zod';

const uuid = z.uuid();

export const StoreId = uuid.brand<'StoreId'>();
export type StoreId = z.infer<typeof StoreId>;
export const ProductId = uuid.brand<'ProductId'>();
export type ProductId = z.infer<typeof ProductId>;
export const VariantId = uuid.brand<'VariantId'>();
export type VariantId = z.infer<typeof VariantId>;
export const ProfileId = uuid.brand<'ProfileId'>();
export type ProfileId = z.infer<typeof ProfileId>;
export const EventId = z.string().regex(/^\d+$/).brand<'EventId'>();
export type EventId = z.infer<typeof EventId>;
export const FlowId = uuid.brand<'FlowId'>();
export type FlowId = z.infer<typeof FlowId>;
export const FlowRunId = uuid.brand<'FlowRunId'>();
export type FlowRunId = z.infer<typeof FlowRunId>;
export const MessageId = uuid.brand<'MessageId'>();
export type MessageId = z.infer<typeof MessageId>;

/** Ids as the platform or custom catalog names them, kept apart from our own. */
export const ExternalProductId = z.string().trim().min(1).max(255).brand<'ExternalProductId'>();
export type ExternalProductId = z.infer<typeof ExternalProductId>;
export const ExternalVariantId = z.string().trim().min(1).max(255).brand<'ExternalVariantId'>();
export type ExternalVariantId = z.infer<typeof ExternalVariantId>;
