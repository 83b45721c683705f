// Row shape and mapper shared by the message repositories.
import type { MessageId, ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState } from '../../model/profile.ts';

export type Channel = 'email' | 'sms';
export type StoredStatus = 'queued' | 'held' | 'sending' | 'sent' | 'skipped' | 'failed';

export type MessageInsert = {
  storeId: StoreId;
  dedupeKey: string;
  flowId: string | null;
  flowVersion: number | null;
  runId: string | null;
  stepId: string | null;
  abBranch: string | null;
  /** Null only for a test send, which goes to an address the merchant typed. */
  profileId: ProfileId | null;
  channel: Channel;
  to: string;
  subject: string | null;
  html: string | null;
  text: string | null;
  status: 'queued' | 'held' | 'skipped';
  reason: string | null;
  notBefore: Date | null;
  /** The run's passed "has not done X" splits, asked again at delivery. */
  exitIf?: ExitGuard[] | undefined;
};

export type ExitGuard = { metric: string; since: string; atLeast: number; reason: string };

export type StoredMessage = Omit<MessageInsert, 'status' | 'notBefore' | 'exitIf'> & {
  id: MessageId;
  seq: number;
  status: StoredStatus;
  attempts: number;
  provider: string | null;
  providerId: string | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  openedAt: Date | null;
  clickedAt: Date | null;
};

/** A message leased for delivery, with the profile's consent as it stood when claimed. */
export type ClaimedMessage = StoredMessage & {
  consent: { email: ConsentState; sms: ConsentState } | null;
  /** Why the message must not go after all: an exit guard that holds now. */
  exitedBy?: string | null;
};

export type MessageRow = {
  store_id: string;
  id: string;
  seq: number;
  dedupe_key: string;
  flow_id: string | null;
  flow_version: number | null;
  run_id: string | null;
  step_id: string | null;
  ab_branch: string | null;
  profile_id: string | null;
  channel: Channel;
  recipient: string;
  subject: string | null;
  html: string | null;
  body_text: string | null;
  status: StoredStatus;
  reason: string | null;
  attempts: number;
  provider: string | null;
  provider_id: string | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  opened_at: Date | null;
  clicked_at: Date | null;
};

export const toMessage = (r: MessageRow): StoredMessage => ({
  storeId: r.store_id as StoreId,
  id: r.id as MessageId,
  seq: r.seq,
  dedupeKey: r.dedupe_key,
  flowId: r.flow_id,
  flowVersion: r.flow_version,
  runId: r.run_id,
  stepId: r.step_id,
  abBranch: r.ab_branch,
  profileId: r.profile_id as ProfileId | null,
  channel: r.channel,
  to: r.recipient,
  subject: r.subject,
  html: r.html,
  text: r.body_text,
  status: r.status,
  reason: r.reason,
  attempts: r.attempts,
  provider: r.provider,
  providerId: r.provider_id,
  lastError: r.last_error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
  openedAt: r.opened_at,
  clickedAt: r.clicked_at,
});
