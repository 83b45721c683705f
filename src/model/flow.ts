// Placeholders for the flow engine: the shapes the spine must already name.
import type { FlowId, FlowRunId, MessageId, ProfileId, StoreId } from './ids.ts';

export type FlowStatus = 'draft' | 'manual' | 'live';

export type Flow = {
  id: FlowId;
  storeId: StoreId;
  name: string;
  status: FlowStatus;
  version: number;
};

export type FlowRun = {
  id: FlowRunId;
  storeId: StoreId;
  flowId: FlowId;
  profileId: ProfileId;
  /** Deterministic: the same trigger never starts a second run. */
  key: string;
  currentStep: string | null;
  nextAt: Date | null;
};

export type MessageChannel = 'email' | 'sms';
export type MessageStatus = 'queued' | 'held' | 'sent' | 'skipped' | 'failed';

export type Message = {
  id: MessageId;
  storeId: StoreId;
  channel: MessageChannel;
  recipient: string;
  status: MessageStatus;
  /** Deterministic per run and step, so a retried worker never sends twice. */
  dedupeKey: string;
};
