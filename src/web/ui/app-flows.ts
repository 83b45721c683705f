// Flow pages: the list with a week's numbers, create from a preset, the builder (trigger and
// steps as a graph with a lane per branch: flow-graph-view.ts), settings, review and turn on,
// the report, and raw JSON editing.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { FlowId } from '../../model/ids.ts';
import type { Store } from '../../model/store.ts';
import { FlowStatus, type FlowDefinition } from '../../flows/definition.ts';
import type { FlowIssue } from '../../flows/validate-flow.ts';
import { changeFlowStatus, createFlow, getFlow, updateFlow, type TriggerPolicy } from '../../flows/flow-service.ts';
import { PRESETS, PRESET_NAMES } from '../../flows/presets.ts';
import { previewAudience } from '../../flows/low-inventory-preview.ts';
import { lowInventoryPolicy } from '../../../connectors/low-inventory-policy.ts';
import { flowReportPage, flowsWithWeek, pickWinner } from '../../merchant/flow-numbers.ts';
import { describeTrigger, graph } from '../../merchant/flow-graph.ts';
import { graphView } from './flow-graph-view.ts';
import { EXCLUSION_WINDOWS, PRICE_DROP_METRICS, formOfSettings, lowInventoryChoices, settingsErrors, settingsOfForm, type SettingsForm } from '../../merchant/trigger-form.ts';
import { browseCatalog } from '../../merchant/catalog-browse.ts';
import { archiveFlow, cloneFlow, deleteFlow } from '../../flows/flow-lifecycle.ts';
import { DURATION_UNITS, OPERATORS } from '../../merchant/form-units.ts';
import { conditionChoices, listStoreSegments } from '../../merchant/condition-choices.ts';
import { ProblemError } from '../problem.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const BLANK = {
  name: 'New flow',
  status: 'draft',
  trigger: { type: 'metric', metric: 'Placed Order', where: [] },
  start: 'email-1',
  steps: [{ id: 'email-1', type: 'email', subject: 'Thanks from {{ store.domain }}', html: '<p>Hi {{ profile.firstName | default: "there" }},</p>\n<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>' }],
};

const CreateForm = z.object({ preset: z.enum(['blank', ...PRESET_NAMES] as [string, ...string[]], 'choose a starting point') });
const StatusForm = z.object({ status: FlowStatus });
const WinnerForm = z.object({ step: z.string().min(1).max(64), branch: z.coerce.number().int().min(0).max(4) });
const AudienceQuery = z.object({ product: z.string().trim().max(255).optional(), variant: z.string().trim().max(255).optional() });

export function flowIdOf(raw: unknown): FlowId {
  const id = FlowId.safeParse(raw);
  if (!id.success) throw new ProblemError(404, 'No such flow in your store.');
  return id.data;
}

/** The flow of this store, or a 404 (also for another store's flow id). */
export async function loadFlow(ctx: AppContext, store: Store, raw: unknown) {
  const found = await getFlow(ctx.db.pool, store, flowIdOf(raw));
  if (!found) throw new ProblemError(404, 'No such flow in your store.');
  return found;
}

export const policyOf = (ctx: AppContext, store: Store): TriggerPolicy => ({ ...lowInventoryPolicy(store, ctx.connectors), outbound: ctx.config.outbound });

/** Publishes an edited definition as the flow's next version, keeping its current status. */
export async function saveDefinition(ctx: AppContext, store: Store, flowId: FlowId, status: string, body: unknown) {
  const result = await updateFlow(ctx.db.pool, store, flowId, { ...(body as object), status }, policyOf(ctx, store));
  if (!result) throw new ProblemError(404, 'No such flow in your store.');
  return result;
}

const presetChoices = () => [...PRESET_NAMES.map((p) => ({ value: p, label: PRESETS[p].name })), { value: 'blank', label: 'Blank flow' }];

export function appFlowPages(r: Router, ctx: AppContext): void {
  const listPage = async (res: Response, errors: Record<string, string> = {}, other: string[] = [], status = 200, notice?: string) => {
    const { store } = res.locals as MerchantLocals;
    const all = await flowsWithWeek(ctx.db.pool, store);
    const rows = all.filter((r) => !r.flow.archivedAt);
    const archived = all.filter((r) => r.flow.archivedAt);
    await render(res, 'app/flows', { title: 'Flows', nav: 'flows', rows, archived, presets: presetChoices(), errors, other, notice }, status);
  };
  const listNotices: Record<string, string> = {
    archived: 'Flow archived: it is stopped, and its report stays under Archived.',
    deleted: 'Flow deleted. Its messages stay in the outbox log.',
  };
  r.get('/flows', async (req, res) => listPage(res, {}, [], 200, listNotices[String(req.query.done ?? '')]));
  r.post('/flows', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const form = CreateForm.safeParse(req.body);
    if (!form.success) return listPage(res, { preset: 'choose a starting point' }, [], 422);
    const body = form.data.preset === 'blank' ? BLANK : { preset: form.data.preset };
    const created = await createFlow(ctx.db.pool, store, body, policyOf(ctx, store));
    if (!created.ok) return listPage(res, {}, created.errors.map((e) => e.message), 422);
    res.redirect(303, `/app/flows/${created.flow.id}?done=created`);
  });

  const notices: Record<string, string> = {
    created: 'Flow created as a draft. Adjust the steps, then review and turn it on.',
    saved: 'Saved as a new version. Runs in flight finish on the version they started with.',
    removed: 'Step removed.',
    moved: 'Step moved.',
    status: 'Status changed.',
    cloned: 'This is a copy, created as a draft.',
    archived: 'Flow archived: it is stopped and listed under Archived. Turn it on again to bring it back.',
    restored: 'Flow restored from the archive, as a draft.',
  };

  r.get('/flows/:id', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition, warnings } = await loadFlow(ctx, store, req.params.id);
    await render(res, 'app/flow', {
      title: flow.name,
      nav: 'flows',
      flow,
      definition,
      trigger: describeTrigger(definition.trigger),
      graph: graphView(definition),
      warnings: warnings.map((w) => (w.stepId ? `Step “${w.stepId}”: ${w.message}` : w.message)),
      notice: notices[String(req.query.done ?? '')],
    });
  });

  const settingsPage = async (req: Request, res: Response, form: SettingsForm | null, issues: FlowIssue[] = [], status = 200) => {
    const { store, locale } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const policy = policyOf(ctx, store);
    const { fields, other } = settingsErrors(issues, typeof form?.trigger_type === 'string' ? form.trigger_type : definition.trigger.type);
    const aq = AudienceQuery.parse(req.query);
    let reach: unknown = null;
    if (definition.trigger.type === 'low-inventory' && aq.product) reach = await previewAudience(ctx.db.pool, store, flow.id, aq.product, aq.variant || null);
    const products = definition.trigger.type === 'low-inventory' ? (await browseCatalog(ctx.db.pool, store, { text: '', page: 1 })).rows : [];
    await render(
      res,
      'app/flow-settings',
      {
        title: `Settings · ${flow.name}`,
        nav: 'flows',
        flow,
        isLowInventory: definition.trigger.type === 'low-inventory',
        form: form ?? formOfSettings(definition),
        errors: fields,
        other,
        lowInventory: lowInventoryChoices(policy),
        windows: EXCLUSION_WINDOWS.map(String),
        priceDropMetrics: PRICE_DROP_METRICS,
        reach,
        aq,
        products,
        segments: (await listStoreSegments(ctx.db.pool, store)).map((s) => ({ value: s.id, label: s.name })),
        units: DURATION_UNITS.filter((u) => u.value !== 'seconds').map((u) => ({ value: u.value, label: u.label })),
        recountUnits: ['minutes', 'hours', 'days'].map((u) => ({ value: u, label: u })),
        operators: OPERATORS,
        ...(await conditionChoices(ctx.db.pool, store, definition.trigger)),
        zoneHint: `In the shopper’s own timezone; shoppers without one use the store’s (${locale.timezone}).`,
      },
      status,
    );
  };
  r.get('/flows/:id/settings', async (req, res) => settingsPage(req, res, null));
  r.post('/flows/:id/settings', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const form = req.body as SettingsForm;
    const result = await saveDefinition(ctx, store, flow.id, flow.status, settingsOfForm(definition, form));
    if (!result.ok) return settingsPage(req, res, form, result.errors, 422);
    res.redirect(303, `/app/flows/${flow.id}?done=saved`);
  });

  r.post('/flows/:id/ab-winner', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const form = WinnerForm.safeParse(req.body);
    const next = form.success ? pickWinner(definition, form.data.step, form.data.branch) : null;
    if (!next) throw new ProblemError(422, 'Choose an arm of an A/B step in this flow.');
    const result = await saveDefinition(ctx, store, flow.id, flow.status, next);
    if (!result.ok) throw new ProblemError(422, `The winner could not be set: ${result.errors.map((e) => e.message).join('; ')}`);
    res.redirect(303, `/app/flows/${flow.id}/report?done=winner`);
  });
  r.post('/flows/:id/clone', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const cloned = await cloneFlow(ctx.db.pool, store, flowIdOf(req.params.id), policyOf(ctx, store));
    if (!cloned) throw new ProblemError(404, 'No such flow in your store.');
    if (!cloned.ok) throw new ProblemError(422, `The copy could not be made: ${cloned.errors.map((e) => e.message).join('; ')}`);
    res.redirect(303, `/app/flows/${cloned.flow.id}?done=cloned`);
  });
  r.post('/flows/:id/archive', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const restore = (req.body as { restore?: unknown }).restore === '1';
    const id = flowIdOf(req.params.id);
    if (!(await archiveFlow(ctx.db.pool, store, id, !restore))) throw new ProblemError(404, 'No such flow in your store.');
    res.redirect(303, restore ? `/app/flows/${id}?done=restored` : '/app/flows?done=archived');
  });
  r.post('/flows/:id/delete', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const result = await deleteFlow(ctx.db.pool, store, flowIdOf(req.params.id));
    if (result.ok) return res.redirect(303, '/app/flows?done=deleted');
    if (result.reason === 'not-found') throw new ProblemError(404, 'No such flow in your store.');
    throw new ProblemError(409, `${result.runs} shoppers are still inside this flow, so it cannot be deleted. Archive it instead: it stops, and its report stays.`);
  });

  r.get('/flows/:id/review', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition, warnings } = await loadFlow(ctx, store, req.params.id);
    await render(res, 'app/flow-review', {
      title: `Review · ${flow.name}`,
      nav: 'flows',
      flow,
      trigger: describeTrigger(definition.trigger),
      nodes: graph(definition),
      warnings: warnings.map((w) => (w.stepId ? `Step “${w.stepId}”: ${w.message}` : w.message)),
      statuses: [
        { value: 'draft', label: 'Draft', help: 'Nobody enters; runs in progress pause where they are.' },
        { value: 'manual', label: 'Manual', help: 'Shoppers enter and runs advance, but every message waits in the outbox for you to send or skip.' },
        { value: 'live', label: 'Live', help: 'Shoppers enter and messages go out on their own.' },
      ],
    });
  });
  r.post('/flows/:id/status', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const id = flowIdOf(req.params.id);
    const form = StatusForm.safeParse(req.body);
    if (!form.success) throw new ProblemError(422, 'Choose draft, manual or live.');
    const changed = await changeFlowStatus(ctx.db.pool, store, id, form.data.status);
    if (!changed) throw new ProblemError(404, 'No such flow in your store.');
    res.redirect(303, `/app/flows/${id}?done=status`);
  });

  r.get('/flows/:id/report', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const page = await flowReportPage(ctx.db.pool, store, flowIdOf(req.params.id));
    if (!page) throw new ProblemError(404, 'No such flow in your store.');
    const labels = page.series.map((p) => p.day);
    const pick = (k: 'entered' | 'sent' | 'opened' | 'clicked' | 'converted' | 'revenue') => page.series.map((p) => p[k]);
    await render(res, 'app/flow-report', {
      title: `Report · ${page.flow.name}`,
      nav: 'flows',
      ...page,
      skipped: Object.entries(page.report.skipped).map(([reason, n]) => ({ reason, n })),
      activity: { type: 'line', labels, series: ['entered', 'sent', 'opened', 'clicked', 'converted'].map((k) => ({ label: k, data: pick(k as 'sent') })) },
      revenue: { type: 'bar', labels, series: [{ label: 'revenue', data: pick('revenue') }] },
      notice: req.query.done === 'winner' ? 'Winner set: every new shopper now takes that arm. Shoppers already split keep theirs.' : undefined,
    });
  });

  const jsonPage = async (req: Request, res: Response, text: string | null, issues: FlowIssue[] = [], status = 200) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    await render(res, 'app/flow-json', { title: `Definition · ${flow.name}`, nav: 'flows', flow, text: text ?? JSON.stringify(definition, null, 2), issues }, status);
  };
  r.get('/flows/:id/definition', async (req, res) => jsonPage(req, res, null));
  r.post('/flows/:id/definition', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow } = await loadFlow(ctx, store, req.params.id);
    const text = String((req.body as { definition?: unknown }).definition ?? '');
    let body: FlowDefinition;
    try {
      body = JSON.parse(text) as FlowDefinition;
    } catch (err) {
      return jsonPage(req, res, text, [{ stepId: null, path: '(definition)', message: `not valid JSON: ${(err as Error).message}` }], 422);
    }
    const result = await saveDefinition(ctx, store, flow.id, flow.status, body);
    if (!result.ok) return jsonPage(req, res, text, result.errors, 422);
    res.redirect(303, `/app/flows/${flow.id}?done=saved`);
  });
}
