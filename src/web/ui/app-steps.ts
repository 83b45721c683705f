// Step pages of the builder: add a step on an edge, edit one (with the template editor's live
// preview and test send), remove one. Each save publishes a new version through the flow
// service, whose validation errors come back inline, naming the step.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { FlowDefinition, Step } from '../../flows/definition.ts';
import type { FlowIssue } from '../../flows/validate-flow.ts';
import { insertStep, removeStep, replaceStep, STEP_TYPES } from '../../merchant/flow-graph.ts';
import { formOfStep, issuesForStep, stepOfForm, tidyStepForm, type StepForm } from '../../merchant/step-form.ts';
import { previewTemplate, sendTest, type Preview, type PreviewInput } from '../../merchant/template-preview.ts';
import { browseCatalog } from '../../merchant/catalog-browse.ts';
import { stepModule } from '../../flows/steps/registry.ts';
import { DURATION_UNITS, OPERATORS, WEEKDAYS } from '../../merchant/form-units.ts';
import { conditionChoices } from '../../merchant/condition-choices.ts';
import { ProblemError } from '../problem.ts';
import { render } from './views.ts';
import { allowStyleAttributes } from './browser-router.ts';
import { loadFlow, saveDefinition } from './app-flows.ts';
import type { MerchantLocals } from './page-locals.ts';

const AddForm = z.object({ type: z.enum(STEP_TYPES), at: z.string().min(1).max(200) });

function stepOf(def: FlowDefinition, id: unknown): { step: Step; index: number } {
  const index = def.steps.findIndex((s) => s.id === id);
  if (index < 0) throw new ProblemError(404, 'No such step in this flow.');
  return { step: def.steps[index]!, index };
}

function previewInput(step: Step, form: StepForm): PreviewInput {
  const s = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
  return { channel: stepModule(step)?.needs.channel === 'sms' ? 'sms' : 'email', subject: s('subject'), html: s('html'), text: s('text'), productId: s('sample_product') || undefined };
}

export function appStepPages(r: Router, ctx: AppContext): void {
  const deps = { pool: ctx.db.pool, config: ctx.config, secrets: ctx.secrets };

  type Extra = { form?: StepForm; issues?: FlowIssue[]; preview?: Preview | null; fieldErrors?: Record<string, string>; notice?: string };
  const editPage = async (req: Request, res: Response, extra: Extra = {}, status = 200) => {
    const { store, locale } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const { step, index } = stepOf(definition, req.params.stepId);
    const choices = await conditionChoices(ctx.db.pool, store, definition.trigger);
    const mapped = issuesForStep(extra.issues ?? [], index, step.id);
    const mod = stepModule(step);
    const channel = mod?.needs.channel ?? null;
    const isMessage = channel !== null;
    const products = isMessage ? (await browseCatalog(ctx.db.pool, store, { text: '', page: 1 })).rows : [];
    if (isMessage) allowStyleAttributes(res);
    await render(
      res,
      'app/step',
      {
        title: `Step ${step.id} · ${flow.name}`,
        nav: 'flows',
        flow,
        step,
        form: extra.form ?? formOfStep(step),
        errors: { ...mapped.fields, ...extra.fieldErrors },
        other: mapped.other,
        // The step's own inputs are its type's view; the edges below them come from its module.
        stepView: `app/steps/${step.type}`,
        edgeFields: mod?.form.edgeFields ?? [],
        channel,
        stepIds: definition.steps.filter((s) => s.id !== step.id).map((s) => s.id),
        weekdays: WEEKDAYS,
        units: DURATION_UNITS.map((u) => ({ value: u.value, label: u.label })),
        operators: OPERATORS,
        metrics: choices.metrics,
        properties: choices.properties,
        zoneHint: `In the shopper’s own timezone; shoppers without one use the store’s (${locale.timezone}).`,
        isMessage,
        products,
        preview: extra.preview ?? null,
        notice: extra.notice,
      },
      status,
    );
  };

  r.post('/flows/:id/steps', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const form = AddForm.safeParse(req.body);
    if (!form.success) throw new ProblemError(422, 'Choose a step type and where it goes.');
    const inserted = insertStep(definition, form.data.at, form.data.type);
    if (!inserted) throw new ProblemError(422, 'That place in the flow no longer exists; reload the page.');
    const result = await saveDefinition(ctx, store, flow.id, flow.status, inserted.definition);
    if (!result.ok) throw new ProblemError(422, `The step could not be added: ${result.errors.map((e) => e.message).join('; ')}`);
    res.redirect(303, `/app/flows/${flow.id}/steps/${encodeURIComponent(inserted.stepId)}`);
  });

  r.get('/flows/:id/steps/:stepId', async (req, res) => editPage(req, res, { notice: req.query.done === 'saved' ? 'Step saved.' : undefined }));

  r.post('/flows/:id/steps/:stepId', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const { step } = stepOf(definition, req.params.stepId);
    const form = tidyStepForm(step.type, req.body as StepForm);
    const parsed = stepOfForm(step.type, form);
    if ('field' in parsed) return editPage(req, res, { form, fieldErrors: { [parsed.field]: parsed.message } }, 422);
    // An email built with blocks stays so while its HTML is untouched (the editor owns it).
    const posted = parsed.step as { html?: unknown };
    if (step.type === 'email' && step.blocks && String(posted.html ?? '').replace(/\r\n/g, '\n') === step.html) parsed.step = { ...posted, html: step.html, blocks: step.blocks };
    const result = await saveDefinition(ctx, store, flow.id, flow.status, replaceStep(definition, step.id, parsed.step));
    if (!result.ok) return editPage(req, res, { form, issues: result.errors }, 422);
    const newId = (parsed.step as { id: string }).id;
    res.redirect(303, `/app/flows/${flow.id}/steps/${encodeURIComponent(newId)}?done=saved`);
  });

  r.post('/flows/:id/steps/:stepId/remove', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const { step } = stepOf(definition, req.params.stepId);
    if (definition.steps.length === 1) throw new ProblemError(422, 'A flow needs at least one step; add another before removing this one.');
    const next = removeStep(definition, step.id)!;
    const result = await saveDefinition(ctx, store, flow.id, flow.status, next);
    if (!result.ok) throw new ProblemError(422, `Removing step “${step.id}” would break the flow: ${result.errors.map((e) => e.message).join('; ')}`);
    res.redirect(303, `/app/flows/${flow.id}?done=removed`);
  });

  r.post('/flows/:id/steps/:stepId/preview', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { definition } = await loadFlow(ctx, store, req.params.id);
    const { step } = stepOf(definition, req.params.stepId);
    const form = req.body as StepForm;
    const preview = await previewTemplate(deps, store, definition.trigger, previewInput(step, form));
    if (req.get('HX-Request') === 'true') return render(res, 'app/preview', { title: 'Preview', preview, step });
    await editPage(req, res, { form, preview });
  });

  r.post('/flows/:id/steps/:stepId/test-send', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const { step } = stepOf(definition, req.params.stepId);
    const form = req.body as StepForm;
    const input = previewInput(step, form);
    const result = await sendTest(deps, store, definition.trigger, flow.id, step.id, { ...input, to: String(form.test_to ?? '') });
    const preview = await previewTemplate(deps, store, definition.trigger, input);
    if (!result.ok) return editPage(req, res, { form, preview, fieldErrors: { [result.field === 'to' ? 'test_to' : result.field]: result.message } }, 422);
    await editPage(req, res, { form, preview, notice: `Test message queued for ${String(form.test_to)}; see it in the outbox.` });
  });
}
