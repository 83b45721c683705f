import { z } from 'zod';
import type { FlowId, FlowRunId, MessageId, ProfileId, StoreId } from './ids.ts';

export type FlowStatus = 'draft' | 'manual' | 'live';

export type Flow = {
  id: FlowId;
  storeId: StoreId;
  name: string;
  tags: string[];
  status: FlowStatus;
  version: number;
  triggerType: string;
  createdAt: Date;
  updatedAt: Date;
  /** Set while the flow is archived: stopped, and listed apart. */
  archivedAt: Date | null;
};

export type RunStatus = 'active' | 'waiting' | 'paused' | 'completed' | 'exited';

/** The trigger event as a run remembers it (templates and trigger splits read it). */
export const TriggerEvent = z.object({
  id: z.string(),
  metric: z.string(),
  time: z.string(),
  value: z.number().nullable(),
  properties: z.record(z.string(), z.unknown()),
  items: z.array(z.object({ productId: z.string().nullable(), variantId: z.string().nullable(), quantity: z.number(), price: z.number().nullable() })),
});
export type TriggerEvent = z.infer<typeof TriggerEvent>;

/** The item a low-inventory or sell-out forecast run is about; its stock is read again before each message. */
export const RunItem = z.object({
  level: z.enum(['product', 'variant']),
  productId: z.string(),
  variantId: z.string().nullable(),
  /** Low inventory: stock above this again means restocked. */
  threshold: z.number().optional(),
  /** Sell-out forecast: the message goes only while the item is still forecast to sell out within the horizon. */
  forecast: z.object({ withinHours: z.number(), velocityDays: z.number() }).optional(),
});
export type RunItem = z.infer<typeof RunItem>;

/**
 * What a price-drop run is about: the item, the price this shopper saw and the fall that counts.
 * The current price is read again before each message.
 */
export const RunPriceDrop = z.object({
  level: z.enum(['product', 'variant']),
  productId: z.string(),
  variantId: z.string().nullable(),
  episodeId: z.string(),
  seenPrice: z.number(),
  minPercent: z.number().nullish(),
  minAmount: z.number().nullish(),
});
export type RunPriceDrop = z.infer<typeof RunPriceDrop>;

/** Per-run memory: written by the orchestrator, parsed again whenever it is read back. */
export const RunContext = z.object({
  item: RunItem.optional(),
  priceDrop: RunPriceDrop.optional(),
  /**
   * The variant (platform id) the shopper looked at, from their latest qualifying event on the
   * run's product: messages name their size even when the trigger works at product level.
   */
  shopperVariantId: z.string().nullish(),
  /** Back in stock: the shopper's request (how many they asked for) and the episode that released it. */
  backInStock: z.object({ requestId: z.string(), quantity: z.number(), episodeId: z.string() }).optional(),
  /** The segment a segment-triggered run entered from: a shopper who left it gets no message. */
  segmentId: z.string().optional(),
  /** The date a date-triggered run is about, as it was at entry: a changed date skips the message. */
  date: z.object({ property: z.string(), value: z.string() }).optional(),
  /** When the current wait-for step began. */
  waitSince: z.string().optional(),
  /** Outbound webhook outcomes by step visit key. */
  webhooks: z.record(z.string(), z.object({ ok: z.boolean(), attempts: z.number(), error: z.string().optional() })).default({}),
  /** The A/B branch each visited ab step chose. */
  branches: z.record(z.string(), z.number()).default({}),
  /**
   * Metric splits this run passed on their "no" branch ("has not ordered since entry"). Each is
   * asked again before every message: an event that arrived late must still stop the message.
   */
  noSplits: z.array(z.string()).optional(),
});
export type RunContext = z.infer<typeof RunContext>;

export type FlowRun = {
  id: FlowRunId;
  storeId: StoreId;
  flowId: FlowId;
  version: number;
  profileId: ProfileId;
  /** Deterministic: the same trigger never starts a second run. */
  key: string;
  status: RunStatus;
  currentStep: string | null;
  nextAt: Date | null;
  stepCount: number;
  enteredAt: Date;
  triggerEvent: TriggerEvent | null;
  context: RunContext;
  waitMetric: string | null;
};

export type MessageChannel = 'email' | 'sms';
export type MessageStatus = 'queued' | 'held' | 'sending' | 'sent' | 'skipped' | 'failed';

export type Message = {
  id: MessageId;
  storeId: StoreId;
  channel: MessageChannel;
  recipient: string;
  status: MessageStatus;
  /** Deterministic per run and step, so a retried worker never sends twice. */
  dedupeKey: string;
};

/** What one step of the orchestrator writes back for a run it holds. */
export type RunUpdate = {
  storeId: StoreId;
  id: FlowRunId;
  status: RunStatus;
  currentStep: string | null;
  nextAt: Date | null;
  stepCount: number;
  context: RunContext;
  waitMetric: string | null;
  endReason: string | null;
  endedAt: Date | null;
};
