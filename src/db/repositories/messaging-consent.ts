// Consent changes that come from the recipient (unsubscribe links, STOP/START replies), kept
// apart from the merchant's profile writes in profiles.ts.
import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

export async function getConsent(db: Queryable, storeId: StoreId, profileId: ProfileId): Promise<{ email: ConsentState; sms: ConsentState } | undefined> {
  const { rows } = await db.query<{ email_consent: ConsentState; sms_consent: ConsentState }>(
    'SELECT email_consent, sms_consent FROM profiles WHERE store_id = $1 AND id = $2',
    [storeId, profileId],
  );
  return rows[0] ? { email: rows[0].email_consent, sms: rows[0].sms_consent } : undefined;
}

/** false when the profile does not exist (deleted since the link was sent). */
export async function setConsent(db: Queryable, storeId: StoreId, profileId: ProfileId, channel: 'email' | 'sms', state: ConsentState, source = 'unsubscribe link'): Promise<boolean> {
  // channel picks one of two fixed column names, never user input.
  const column = channel === 'email' ? 'email_consent' : 'sms_consent';
  // Source and time change only with the state: a second click on the link keeps the first stamp.
  const { rowCount } = await db.query(
    `UPDATE profiles SET ${column} = $3, ${column}_source = CASE WHEN ${column} = $3 THEN ${column}_source ELSE $4 END,
       ${column}_at = CASE WHEN ${column} = $3 THEN ${column}_at ELSE now() END, updated_at = now()
     WHERE store_id = $1 AND id = $2`,
    [storeId, profileId, state, source],
  );
  return rowCount === 1;
}

/**
 * A keyword reply to the sending number, applied to that phone in every store sending from it
 * (all of them: there is one sending number). Only profiles in one of the `from` states change.
 */
export async function setSmsConsentByPhone(db: Queryable, phone: string, state: ConsentState, from: ConsentState[]): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE profiles SET sms_consent = $2, sms_consent_source = 'SMS reply', sms_consent_at = now(), updated_at = now()
     WHERE phone = $1 AND sms_consent = ANY($3::text[]) AND sms_consent <> $2`,
    [phone, state, from],
  );
  return rowCount ?? 0;
}
