// The template editor's live preview and test send: a step's templates rendered exactly as
// the engine renders them, against a sample shopper and a product from the store's catalog.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../model/store.ts';
import type { FlowId, ProfileId } from '../model/ids.ts';
import { Email, Phone } from '../model/profile.ts';
import { withStopNotice } from '../messaging/sms-transport.ts';
import { smsSegments, type SmsSegments } from './sms-segments.ts';
import type { Trigger } from '../flows/definition.ts';
import type { FactProfile } from '../model/profile.ts';
import { loadProfiles } from '../db/repositories/flow-facts.ts';
import { latestPreviewEvent } from '../db/repositories/preview-profiles.ts';
import { findStorePreferences } from '../db/repositories/store-preferences.ts';
import type { TriggerEvent } from '../model/flow.ts';
import { findProductByExternalId, listProducts } from '../db/repositories/catalog.ts';
import { templateVariables } from '../flows/render-message.ts';
import { renderTemplate } from '../messaging/templates.ts';
import { enqueueMessage } from '../messaging/outbox.ts';

export type PreviewDeps = { pool: pg.Pool; config: Pick<Config, 'appUrl'>; secrets: SecretBox };
/** `profileId`: preview as that profile of the store, with their latest matching event; else the sample shopper. */
export type PreviewInput = { channel: 'email' | 'sms'; subject: string; html: string; text: string; productId?: string | undefined; profileId?: string | undefined };
export type Preview = { subject: string; html: string; text: string; missing: string[]; errors: string[]; product: string | null; shopper: string; event: string | null; sms: (SmsSegments & { sent: string }) | null };

const SAMPLE_PROFILE: FactProfile = {
  id: '00000000-0000-4000-8000-000000000000',
  email: 'sample.shopper@example.com',
  phone: '+14155550100',
  firstName: 'Sam',
  lastName: 'Sample',
  timezone: 'Europe/London',
  properties: { vip: true },
  consent: { email: 'subscribed', sms: 'subscribed' },
};

async function sampleProduct(pool: pg.Pool, store: Store, productId: string | undefined) {
  if (productId) {
    const chosen = await findProductByExternalId(pool, store.id, productId);
    if (chosen) return chosen;
  }
  return (await listProducts(pool, store.id, undefined, 1))[0];
}

/** The store's own profile, and their latest event that fits the flow; undefined when not the store's. */
async function realShopper(pool: pg.Pool, store: Store, trigger: Trigger, profileId: string): Promise<{ profile: FactProfile; event: TriggerEvent | null } | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(profileId)) return undefined;
  const profile = (await loadProfiles(pool, [{ storeId: store.id, id: profileId }])).get(profileId);
  if (!profile) return undefined;
  const event = await latestPreviewEvent(pool, store.id, profileId, trigger.type === 'metric' ? trigger.metric : null);
  return { profile, event };
}

const nameOf = (p: FactProfile) => [p.firstName, p.lastName].filter(Boolean).join(' ') || p.email || p.phone || 'a profile';

async function variables(deps: PreviewDeps, store: Store, trigger: Trigger, channel: 'email' | 'sms', productId: string | undefined, profileId?: string) {
  const real = profileId ? await realShopper(deps.pool, store, trigger, profileId) : undefined;
  const product = await sampleProduct(deps.pool, store, productId);
  const variant = product?.variants[0];
  const items = product ? [{ productId: product.externalId, variantId: variant?.externalId ?? null, quantity: 1, price: product.price }] : [];
  const metric = trigger.type === 'metric' ? trigger.metric : 'Started Checkout';
  const sampleEvent = {
    id: '0',
    metric,
    time: new Date().toISOString(),
    value: product?.price ?? null,
    properties: { ProductID: product?.externalId, Items: items.map((i) => ({ ProductID: i.productId, VariantID: i.variantId, Quantity: 1, ItemPrice: i.price })), CheckoutURL: `https://${store.domain}/checkout` },
    items,
  };
  const context = trigger.type === 'low-inventory' && product
    ? { item: { level: 'product' as const, productId: product.id, variantId: null, threshold: trigger.threshold }, webhooks: {}, branches: {} }
    : { webhooks: {}, branches: {} };
  // A real profile's own event when they have one; the sample event (with the chosen product) when not.
  const triggerEvent = real?.event ?? sampleEvent;
  const profile = real?.profile ?? SAMPLE_PROFILE;
  const { currency } = await findStorePreferences(deps.pool, store.id);
  const vars = await templateVariables(deps, {
    run: { storeId: store.id, profileId: profile.id as ProfileId, triggerEvent, context },
    profile,
    head: { storeDomain: store.domain, storeCurrency: currency },
    channel,
    needsProducts: true,
  });
  return {
    vars,
    product: real?.event ? null : product ? `${product.title} (${product.externalId})` : null,
    shopper: real ? `${nameOf(real.profile)}${real.profile.email && nameOf(real.profile) !== real.profile.email ? ` (${real.profile.email})` : ''}` : 'Sample shopper Sam Sample',
    event: real?.event ? `their ${real.event.metric} of ${real.event.time.slice(0, 10)}` : real ? 'a sample event (they have none that fits)' : null,
  };
}

async function safely(source: string, vars: Record<string, unknown>, escapeHtml: boolean, errors: string[], label: string) {
  try {
    return await renderTemplate(source, vars, { escapeHtml });
  } catch (err) {
    errors.push(`${label}: ${(err as Error).message}`);
    return { output: '', missing: [] };
  }
}

export async function previewTemplate(deps: PreviewDeps, store: Store, trigger: Trigger, input: PreviewInput): Promise<Preview> {
  const { vars, product, shopper, event } = await variables(deps, store, trigger, input.channel, input.productId, input.profileId);
  const errors: string[] = [];
  if (input.channel === 'sms') {
    const text = await safely(input.text, vars, false, errors, 'text');
    // Counted as it goes out: with the STOP notice delivery adds when the text has none.
    const sent = withStopNotice(text.output.trim());
    return { subject: '', html: '', text: text.output.trim(), missing: text.missing, errors, product, shopper, event, sms: { ...smsSegments(sent), sent } };
  }
  const subject = await safely(input.subject, vars, false, errors, 'subject');
  const html = await safely(input.html, vars, true, errors, 'body');
  return { subject: subject.output.trim(), html: html.output, text: '', missing: [...new Set([...subject.missing, ...html.missing])].sort(), errors, product, shopper, event, sms: null };
}

export type TestSendResult = { ok: true; messageId: string } | { ok: false; field: string; message: string };

/**
 * Renders the step against the sample data and puts it in the outbox for the address given.
 * It carries no flow id, so it never counts in a flow's report.
 */
export async function sendTest(deps: PreviewDeps, store: Store, trigger: Trigger, flowId: FlowId, stepId: string, input: PreviewInput & { to: string }): Promise<TestSendResult> {
  const sms = input.channel === 'sms';
  const to = (sms ? Phone : Email).safeParse(input.to);
  if (!to.success) return { ok: false, field: 'to', message: sms ? 'enter the mobile number to send the test to, with its country code, such as +44 7700 900123' : 'enter the email address to send the test to' };
  const preview = await previewTemplate(deps, store, trigger, input);
  if (preview.errors.length) return { ok: false, field: sms ? 'text' : 'html', message: preview.errors.join('; ') };
  if (sms && !preview.text) return { ok: false, field: 'text', message: 'the text renders empty' };
  if (!sms && !preview.subject) return { ok: false, field: 'subject', message: 'the subject renders empty' };
  const { id } = await enqueueMessage(deps.pool, {
    storeId: store.id,
    flowId: null,
    flowVersion: null,
    runId: null,
    stepId: `test:${flowId}:${stepId}`.slice(0, 200),
    // No profile: a test goes to the address typed, and must not make a shopper of it.
    profileId: null,
    channel: input.channel,
    to: to.data,
    subject: sms ? null : `[Test] ${preview.subject}`,
    html: sms ? null : preview.html,
    text: sms ? `[Test] ${preview.text}` : null,
    dedupeKey: `test:${randomUUID()}`,
    status: 'queued',
  });
  return { ok: true, messageId: id };
}
