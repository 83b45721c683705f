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

export const ProfileIdentity = z
  .object({ email: Email.optional(), phone: Phone.optional(), externalId: ExternalProfileId.optional() })
  .refine((p) => p.email || p.phone || p.externalId, 'needs an email, phone or externalId');
export type ProfileIdentity = z.infer<typeof ProfileIdentity>;

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
