// Turns a message decision into rendered content: Liquid with profile, event, product, variant,
// priceDrop, items, store and a signed unsubscribe link (DESIGN §3 "Templates").
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { FlowRun } from '../model/flow.ts';
import type { FlowHead, TemplateProduct, TemplateVariant } from '../db/repositories/flow-facts.ts';
import type { FactProfile } from '../model/profile.ts';
import { itemQuantities, templateProducts, templateVariant } from '../db/repositories/flow-facts.ts';
import { itemForecasts } from '../db/repositories/sell-out-forecast.ts';
import { renderTemplate } from '../messaging/templates.ts';
import { compileBlocks } from '../messaging/email-blocks/compile.ts';
import { messageLinkKey, unsubscribeUrl } from '../messaging/links.ts';
import { storeHosts } from '../db/repositories/store-links.ts';
import { ownHosts, withoutForeignLinks } from '../model/store-urls.ts';
import type { Effect } from './orchestrator.ts';

export type RenderDeps = { pool: pg.Pool; config: Pick<Config, 'appUrl'>; secrets: SecretBox };

export type RenderedMessage = { to: string; subject: string | null; html: string | null; text: string | null; missing: string[] };

// Deriving the link key (HKDF) for every message was a measurable share of a tick, and it
// depends only on the secret box: derive it once per box.
const linkKeys = new WeakMap<object, Buffer>();
function linkKey(secrets: SecretBox): Buffer {
  let key = linkKeys.get(secrets);
  if (!key) {
    key = messageLinkKey(secrets);
    linkKeys.set(secrets, key);
  }
  return key;
}

type ProductForecast = { forecastHours?: number | null; unitsPerDay?: number };

const productVars = (p: (TemplateProduct & ProductForecast) | undefined) =>
  p && {
    id: p.externalId, title: p.title, url: p.url, imageUrl: p.imageUrl, price: p.price, inventoryQuantity: p.inventoryQuantity,
    ...(p.forecastHours !== undefined ? { forecastHours: p.forecastHours, unitsPerDay: p.unitsPerDay } : {}),
  };

/** Hours to sell-out are shown as a whole number; a fraction of an hour says nothing to a shopper. */
const roundHours = (h: number | null) => (h === null ? null : Math.round(h));

/** A link to the variant itself where the platform has one (Shopify's `?variant=`), else the product page. */
function variantUrl(productUrl: string | null, variantId: string, platform: string | undefined): string | null {
  if (!productUrl || platform !== 'shopify') return productUrl;
  try {
    const url = new URL(productUrl);
    url.searchParams.set('variant', variantId);
    return url.toString();
  } catch {
    return productUrl;
  }
}

const variantVars = (v: TemplateVariant | undefined, p: TemplateProduct | undefined, platform: string | undefined) =>
  v && { id: v.externalId, title: v.title, sku: v.sku, price: v.price, inventoryQuantity: v.inventoryQuantity, url: variantUrl(p?.url ?? null, v.externalId, platform) };

/** What a price-drop message may say: the price the shopper saw, today's, and the difference. */
function dropVars(seen: number, now: number | null) {
  if (now === null) return null;
  const amount = Math.round((seen - now) * 100) / 100;
  return { seenPrice: seen, price: now, amount, percent: seen > 0 ? Math.round((amount / seen) * 100) : 0 };
}

/**
 * Event properties as a message may show them: a link to a host that is not the store's is
 * removed (events stored before the public key's links were vetted, or sent some other way).
 * The merchant's own list of domains is read only when there is a link to judge.
 */
async function vettedProperties(deps: RenderDeps, storeId: FlowRun['storeId'], storeDomain: string, properties: Record<string, unknown>): Promise<Record<string, unknown>> {
  const first = withoutForeignLinks(properties, ownHosts({ domain: storeDomain }, []));
  if (first.removed.length === 0) return properties;
  return withoutForeignLinks(properties, await storeHosts(deps.pool, { id: storeId, domain: storeDomain })).value;
}

/** The variables a template sees; also used by previews with a sample profile and product. */
export async function templateVariables(
  deps: RenderDeps,
  input: { run: Pick<FlowRun, 'storeId' | 'profileId' | 'triggerEvent' | 'context'>; profile: FactProfile; head: Pick<FlowHead, 'storeDomain'> & Partial<Pick<FlowHead, 'storePlatform' | 'storeCurrency'>>; channel: 'email' | 'sms'; needsProducts: boolean; now?: Date },
): Promise<Record<string, unknown>> {
  const { run, profile } = input;
  const event = run.triggerEvent;
  let product: (TemplateProduct & ProductForecast) | undefined;
  let variant: TemplateVariant | undefined;
  let drop: ReturnType<typeof dropVars> = null;
  let items: Array<Record<string, unknown>> = (event?.items ?? []).map((i) => ({ productId: i.productId, variantId: i.variantId, quantity: i.quantity, price: i.price }));
  if (input.needsProducts) {
    // The item a low-inventory or price-drop run is about; other flows show their event's first item.
    const own = run.context.item ?? run.context.priceDrop;
    const externalIds = (event?.items ?? []).map((i) => i.productId).filter((x): x is string => Boolean(x));
    const found = await templateProducts(deps.pool, run.storeId, own ? [own.productId] : [], externalIds);
    product = own ? found.find((p) => p.id === own.productId) : found.find((p) => p.externalId === externalIds[0]);
    // The variant the run is about, or else the one the shopper looked at (their size).
    if (product && own) variant = await templateVariant(deps.pool, run.storeId, product.id, { id: own.variantId, externalId: run.context.shopperVariantId ?? null });
    const pd = run.context.priceDrop;
    if (pd) drop = dropVars(pd.seenPrice, pd.variantId ? (variant?.price ?? null) : product?.price == null ? null : Number(product.price));
    const variantId = run.context.item?.variantId;
    if (product && variantId) {
      // A variant-level run is about the variant's stock, not the product's total.
      const quantities = await itemQuantities(deps.pool, [{ storeId: run.storeId, level: 'variant', id: variantId }]);
      product = { ...product, inventoryQuantity: quantities.get(variantId) ?? null };
    }
    const item = run.context.item;
    if (product && item) {
      // The forecast of the run's item (at its flow's pace, or a week's for low inventory).
      const key = item.variantId ?? item.productId;
      const f = (await itemForecasts(deps.pool, [{ storeId: run.storeId, productId: item.productId, variantId: item.variantId, velocityDays: item.forecast?.velocityDays ?? 7 }], input.now ?? new Date())).get(key);
      if (f) product = { ...product, forecastHours: roundHours(f.hours), unitsPerDay: Math.round(f.unitsPerDay * 10) / 10 };
    }
    items = (event?.items ?? []).map((i) => ({ ...productVars(found.find((p) => p.externalId === i.productId)), productId: i.productId, variantId: i.variantId, quantity: i.quantity, price: i.price ?? null }));
  }
  return {
    profile: { id: profile.id, email: profile.email, phone: profile.phone, firstName: profile.firstName, lastName: profile.lastName, timezone: profile.timezone, properties: profile.properties, firstPurchaseAt: profile.firstPurchaseAt ?? null },
    event: event && { metric: event.metric, time: event.time, value: event.value, properties: await vettedProperties(deps, run.storeId, input.head.storeDomain, event.properties) },
    product: productVars(product) ?? null,
    variant: variantVars(variant, product, input.head.storePlatform) ?? null,
    priceDrop: drop,
    backInStock: run.context.backInStock ? { quantity: run.context.backInStock.quantity } : null,
    items,
    store: { domain: input.head.storeDomain, currency: input.head.storeCurrency ?? 'USD' },
    unsubscribeUrl: unsubscribeUrl(deps.config.appUrl, linkKey(deps.secrets), run.storeId, run.profileId, input.channel),
  };
}

export async function renderMessage(
  deps: RenderDeps,
  input: { run: FlowRun; effect: Extract<Effect, { kind: 'message' }>; profile: FactProfile; head: FlowHead; now?: Date },
): Promise<RenderedMessage> {
  const { step } = input.effect;
  // An email built from blocks is sent from its blocks, compiled once per process (compile.ts).
  const body = step.type === 'email' ? (step.blocks ? await compileBlocks(step.blocks) : step.html) : '';
  const sources = step.type === 'email' ? [step.subject, body] : [step.text];
  const vars = await templateVariables(deps, {
    run: input.run,
    profile: input.profile,
    head: input.head,
    channel: step.type,
    needsProducts: sources.some((s) => /\b(product|items|variant|priceDrop|backInStock)\b/.test(s)),
    ...(input.now ? { now: input.now } : {}),
  });
  if (step.type === 'email') {
    const subject = await renderTemplate(step.subject, vars);
    const html = await renderTemplate(body, vars, { escapeHtml: true });
    return { to: input.profile.email!, subject: subject.output.trim(), html: html.output, text: null, missing: [...subject.missing, ...html.missing] };
  }
  const text = await renderTemplate(step.text, vars);
  return { to: input.profile.phone!, subject: null, html: null, text: text.output.trim(), missing: text.missing };
}
