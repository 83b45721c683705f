// Support pages about one store: find it, see it, check and enable the custom-catalog
// low-inventory trigger, switch back to the integration catalog. The check shows sample events
// (a shopper's event properties), so each showing is recorded in the audit log first.
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { StoreId } from '../../model/ids.ts';
import { ProblemError } from '../problem.ts';
import { searchStores, storeOverview } from '../../support/store-overview.ts';
import { recordView } from '../../support/audit.ts';
import { checkCustomTrigger, CustomTriggerInput, sampleEvents, enableCustomTrigger, useIntegrationCatalog, type CheckReport } from '../../support/custom-catalog-trigger.ts';
import { fieldErrors, type FieldErrors } from './forms.ts';
import { render } from './views.ts';
import { klaviyoTriggerPreset } from '../../../connectors/klaviyo-format/conventions.ts';
import { requireAdmin, type StaffLocals } from './page-locals.ts';

const SearchQuery = z.object({ q: z.string().max(300).default('') });

type MappingForm = Record<string, string>;

/** The form's flat field names; the defaults are the field names most stores already send. */
const DEFAULTS: MappingForm = {
  ordered_metric: 'Ordered Product', ordered_product: 'ProductID', ordered_price: 'Price',
  viewed_on: 'on', viewed_metric: 'Viewed Product', viewed_product: 'ProductID', viewed_price: 'Price',
  cart_on: '', cart_metric: 'Added to Cart', cart_product: 'ProductID', cart_price: 'Price',
  checkout_on: '', checkout_metric: 'Started Checkout', checkout_items: 'Items', checkout_product: 'ProductID', checkout_price: 'ItemPrice',
};

const FIELD_OF: Record<string, string> = {
  'orderedProduct.metric': 'ordered_metric', 'orderedProduct.productIdField': 'ordered_product', 'orderedProduct.priceField': 'ordered_price',
  'viewedProduct.metric': 'viewed_metric', 'viewedProduct.productIdField': 'viewed_product', 'viewedProduct.priceField': 'viewed_price', viewedProduct: 'viewed_on',
  'addedToCart.metric': 'cart_metric', 'addedToCart.productIdField': 'cart_product', 'addedToCart.priceField': 'cart_price',
  'startedCheckout.metric': 'checkout_metric', 'startedCheckout.itemsField': 'checkout_items', 'startedCheckout.productIdField': 'checkout_product', 'startedCheckout.priceField': 'checkout_price',
};

/** "Klaviyo format": the field names Klaviyo's integrations send, every event ticked. */
function klaviyoForm(): MappingForm {
  const k = klaviyoTriggerPreset();
  return {
    ordered_metric: k.orderedProduct.metric, ordered_product: k.orderedProduct.productIdField, ordered_price: k.orderedProduct.priceField,
    viewed_on: 'on', viewed_metric: k.viewedProduct.metric, viewed_product: k.viewedProduct.productIdField, viewed_price: k.viewedProduct.priceField,
    cart_on: 'on', cart_metric: k.addedToCart.metric, cart_product: k.addedToCart.productIdField, cart_price: k.addedToCart.priceField,
    checkout_on: 'on', checkout_metric: k.startedCheckout.metric, checkout_items: k.startedCheckout.itemsField, checkout_product: k.startedCheckout.productIdField, checkout_price: k.startedCheckout.priceField,
  };
}

function formValues(body: unknown): MappingForm {
  const b = (body ?? {}) as Record<string, unknown>;
  const out: MappingForm = {};
  for (const key of Object.keys(DEFAULTS)) out[key] = typeof b[key] === 'string' ? (b[key] as string) : '';
  return out;
}

const opt = (v: string | undefined) => (v && v.trim() ? v : undefined);

function toInput(f: MappingForm): unknown {
  const single = (prefix: string) => ({ metric: f[`${prefix}_metric`], productIdField: f[`${prefix}_product`], priceField: opt(f[`${prefix}_price`]) });
  return {
    orderedProduct: single('ordered'),
    ...(f.viewed_on ? { viewedProduct: single('viewed') } : {}),
    ...(f.cart_on ? { addedToCart: single('cart') } : {}),
    ...(f.checkout_on ? { startedCheckout: { ...single('checkout'), itemsField: opt(f.checkout_items) } } : {}),
  };
}

function mapErrors(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [path, message] of Object.entries(errors)) out[FIELD_OF[path] ?? '_form'] ??= message;
  return out;
}

function storeIdOf(raw: unknown): StoreId {
  const id = StoreId.safeParse(raw);
  if (!id.success) throw new ProblemError(404, 'No such store.');
  return id.data;
}

export function supportStorePages(r: Router, ctx: AppContext): void {
  const showStore = async (res: Response, id: StoreId, extra: { form?: MappingForm; errors?: FieldErrors; report?: CheckReport; notice?: string } = {}, status = 200) => {
    const overview = await storeOverview(ctx.db.pool, id);
    if (!overview) throw new ProblemError(404, 'No such store.');
    const staff = (res.locals as StaffLocals).staff;
    if (extra.report) await recordView(ctx.db.pool, { actor: staff.email, storeId: id, what: 'event properties', records: sampleEvents(extra.report) });
    await render(
      res,
      'support/store',
      {
        title: overview.store.domain,
        nav: 'stores',
        ...overview,
        isAdmin: staff.role === 'admin',
        form: extra.form ?? DEFAULTS,
        errors: extra.errors ?? {},
        report: extra.report ?? null,
        samples: (extra.report?.checks ?? []).map((c) => (c.sample === undefined ? null : JSON.stringify(c.sample, null, 2))),
        extractions: (extra.report?.checks ?? []).map((c) => c.extracted ?? null),
        notice: extra.notice,
      },
      status,
    );
  };

  r.get('/', async (req, res) => {
    const { q } = SearchQuery.parse(req.query);
    const hits = await searchStores(ctx.db.pool, q);
    await render(res, 'support/stores', { title: 'Find a store', nav: 'stores', q, hits, searched: q.trim() !== '' });
  });

  r.get('/stores/:id', async (req, res) => {
    const notices: Record<string, string> = { enabled: 'The custom-catalog trigger is on.', integration: 'The integration catalog drives the trigger again.' };
    const form = req.query.preset === 'klaviyo' ? klaviyoForm() : undefined;
    await showStore(res, storeIdOf(req.params.id), { notice: notices[String(req.query.done ?? '')], ...(form ? { form } : {}) });
  });

  r.post('/stores/:id/custom-trigger', async (req, res) => {
    const id = storeIdOf(req.params.id);
    const form = formValues(req.body);
    const parsed = CustomTriggerInput.safeParse(toInput(form));
    if (!parsed.success) return showStore(res, id, { form, errors: mapErrors(fieldErrors(parsed.error)) }, 422);
    const action = (req.body as { action?: string }).action === 'enable' ? 'enable' : 'check';
    if (action === 'check') return showStore(res, id, { form, report: await checkCustomTrigger(ctx.db.pool, id, parsed.data) });
    if ((res.locals as StaffLocals).staff.role !== 'admin') throw new ProblemError(403, 'Your role is viewer: only an admin can enable the trigger.');
    const result = await enableCustomTrigger(ctx.db.pool, id, parsed.data, (res.locals as StaffLocals).staff.email);
    if (!result.ok) return showStore(res, id, { form, report: result.report, errors: { _form: 'Not enabled: some checks fail. Fix the mapping or the store’s data first.' } }, 422);
    res.redirect(303, `/support/stores/${id}?done=enabled`);
  });

  r.post('/stores/:id/integration-catalog', requireAdmin, async (req, res) => {
    const id = storeIdOf(req.params.id);
    if (!(await useIntegrationCatalog(ctx.db.pool, id, (res.locals as StaffLocals).staff.email))) throw new ProblemError(404, 'No such store.');
    res.redirect(303, `/support/stores/${id}?done=integration`);
  });
}
