import { z } from 'zod';
import type { ProfileId, StoreId } from './ids.ts';

export const ConsentState = z.enum(['subscribed', 'unsubscribed', 'never_subscribed']);
export type ConsentState = z.infer<typeof ConsentState>;

export const Email = z
  .string()
  .trim()
  .max(320)
  .transform((s) => s.toLowerCase())
  .pipe(z.email());

/** Phones are kept in E.164; separators are dropped, a leading + is required. */
export const Phone = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +14155550100'));

export const ExternalProfileId = z.string().trim().min(1).max(255);

/** The storefront's id for a browser (the web pixel's clientId, the snippet's stored id). */
export const AnonymousId = z.string().trim().min(1).max(255);

export const ProfileIdentity = z
  .object({ email: Email.optional(), phone: Phone.optional(), externalId: ExternalProfileId.optional(), anonymousId: AnonymousId.optional() })
  .refine((p) => p.email || p.phone || p.externalId || p.anonymousId, 'needs an email, phone, externalId or anonymousId');
export type ProfileIdentity = z.infer<typeof ProfileIdentity>;

/**
 * Identifier kinds from strongest to weakest. When an event's identifiers point at people who
 * cannot be joined, it belongs to the owner of its strongest identifier: the platform's customer
 * id (the platform has verified the account), then email, phone, and the browser's anonymous id.
 */
export const IDENTIFIER_KINDS = ['external_id', 'email', 'phone', 'anonymous_id'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];
/** A person has one of these at most: two different values are two different people. */
export const SINGLE_VALUED: ReadonlySet<IdentifierKind> = new Set(['external_id', 'email']);
export type Identifier = { kind: IdentifierKind; value: string };

/** Every identifier the identity names, strongest first. */
export function identifiersOf(p: ProfileIdentity): Identifier[] {
  const out: Identifier[] = [];
  if (p.externalId) out.push({ kind: 'external_id', value: p.externalId });
  if (p.email) out.push({ kind: 'email', value: p.email });
  if (p.phone) out.push({ kind: 'phone', value: p.phone });
  if (p.anonymousId) out.push({ kind: 'anonymous_id', value: p.anonymousId });
  return out;
}

const PropertyValue: z.ZodType<unknown> = z.unknown();

export const ProfileInput = z
  .object({
    email: Email.optional(),
    phone: Phone.optional(),
    externalId: ExternalProfileId.optional(),
    firstName: z.string().trim().max(255).optional(),
    lastName: z.string().trim().max(255).optional(),
    timezone: z
      .string()
      .refine((tz) => isTimeZone(tz), 'must be an IANA time zone such as Europe/Berlin')
      .optional(),
    properties: z.record(z.string().max(255), PropertyValue).optional(),
    consent: z.object({ email: ConsentState.optional(), sms: ConsentState.optional() }).optional(),
    lists: z.array(z.string().trim().min(1).max(255)).max(100).optional(),
  })
  .refine((p) => p.email || p.phone || p.externalId, 'needs an email, phone or externalId');
export type ProfileInput = z.infer<typeof ProfileInput>;

export type Profile = {
  id: ProfileId;
  storeId: StoreId;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  timezone: string | null;
  properties: Record<string, unknown>;
  consent: { email: ConsentState; sms: ConsentState };
  lists: string[];
  createdAt: Date;
  updatedAt: Date;
};

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** What the orchestrator and templates know of a profile. */
export type FactProfile = {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  timezone: string | null;
  properties: Record<string, unknown>;
  consent: { email: ConsentState; sms: ConsentState };
  /** When the profile first placed an order (ISO), kept by ingest. */
  firstPurchaseAt?: string | null;
};
