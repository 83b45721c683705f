// The email editor: an email step built from blocks, edited in one server-rendered form that
// works without script. Every button posts the whole form (so nothing typed is lost) with the
// operation it stands for: add, move or remove a block, find a profile, preview, or save.
// Only Save publishes a new flow version; raw mode drops the blocks and keeps their HTML.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { FlowDefinition } from '../../flows/definition.ts';
import { replaceStep } from '../../merchant/flow-graph.ts';
import { previewTemplate, type Preview } from '../../merchant/template-preview.ts';
import { EMAIL_BLOCK_TYPES } from '../../messaging/email-blocks/blocks.ts';
import { compileBlocks } from '../../messaging/email-blocks/compile.ts';
import {
  BLOCK_LABELS, applyOp, checkDraft, draftOfForm, draftOfStep, previewProfileChoices, starterBlocks, stepWithBlocks, stepWithoutBlocks,
  type Draft, type EmailStep,
} from '../../merchant/email-editor.ts';
import { ProblemError } from '../problem.ts';
import { render } from './views.ts';
import { allowStyleAttributes } from './browser-router.ts';
import { loadFlow, saveDefinition } from './app-flows.ts';
import type { MerchantLocals } from './page-locals.ts';

const EditorForm = z.object({
  op: z.string().max(40).default('save'),
  profile_q: z.string().max(200).default(''),
  preview_profile: z.string().max(64).default(''),
});

function emailStepOf(def: FlowDefinition, id: unknown): EmailStep {
  const step = def.steps.find((s) => s.id === id);
  if (!step) throw new ProblemError(404, 'No such step in this flow.');
  if (step.type !== 'email') throw new ProblemError(404, 'Only email steps are built from blocks; edit this step on its own page.');
  return step;
}

type PageState = {
  draft: Draft;
  errors?: Record<string, string>;
  notice?: string;
  focus?: number | null;
  preview?: Preview | null;
  profileQ?: string;
  profileId?: string;
  profiles?: Array<{ value: string; label: string }>;
  unsaved?: boolean;
};

export function appEmailEditorPages(r: Router, ctx: AppContext): void {
  const deps = { pool: ctx.db.pool, config: ctx.config, secrets: ctx.secrets };
  const base = (req: Request) => `/app/flows/${encodeURIComponent(String(req.params.id))}/steps/${encodeURIComponent(String(req.params.stepId))}/email`;

  const page = async (req: Request, res: Response, state: PageState, status = 200) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const step = emailStepOf(definition, req.params.stepId);
    allowStyleAttributes(res);
    await render(
      res,
      'app/email-editor',
      {
        title: `Email ${step.id} · ${flow.name}`,
        nav: 'flows',
        flow,
        step,
        action: base(req),
        draft: state.draft,
        labels: BLOCK_LABELS,
        aligns: [{ value: 'left', label: 'Left' }, { value: 'center', label: 'Centred' }],
        productSources: [{ value: 'items', label: 'The event’s items (cart or order)' }, { value: 'product', label: 'The trigger’s product' }],
        blockTypes: EMAIL_BLOCK_TYPES.map((t) => ({ value: t, label: BLOCK_LABELS[t] })),
        errors: state.errors ?? {},
        notice: state.notice,
        focus: state.focus ?? null,
        preview: state.preview ?? null,
        profileQ: state.profileQ ?? '',
        profileId: state.profileId ?? '',
        profiles: state.profiles ?? (await previewProfileChoices(ctx.db.pool, store, '')),
        unsaved: state.unsaved ?? false,
        rawMode: !step.blocks,
      },
      status,
    );
  };

  r.get('/flows/:id/steps/:stepId/email', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { definition } = await loadFlow(ctx, store, req.params.id);
    const step = emailStepOf(definition, req.params.stepId);
    const stored = draftOfStep(step);
    const notice = req.query.done === 'saved' ? 'Email saved.' : stored ? undefined : 'This email is written in raw HTML. Below is a starting set of blocks: saving it replaces the raw HTML.';
    await page(req, res, { draft: stored ?? starterBlocks(step.subject), notice, unsaved: !stored });
  });

  r.post('/flows/:id/steps/:stepId/email', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const step = emailStepOf(definition, req.params.stepId);
    const form = EditorForm.safeParse(req.body);
    if (!form.success) throw new ProblemError(422, 'The form was not understood; reload the page and try again.');
    const body = req.body as Record<string, unknown>;
    const { op, profile_q: profileQ, preview_profile: profileId } = form.data;
    const posted = draftOfForm(body);
    const common = { profileQ, profileId, profiles: await previewProfileChoices(ctx.db.pool, store, profileQ) };

    if (op === 'save' || op === 'preview') {
      const checked = checkDraft(posted);
      if (!checked.ok) return page(req, res, { ...common, draft: posted, errors: checked.errors, unsaved: true }, 422);
      if (op === 'preview') {
        const html = await compileBlocks(checked.blocks);
        const preview = await previewTemplate(deps, store, definition.trigger, { channel: 'email', subject: checked.subject, html, text: '', profileId: profileId || undefined });
        return page(req, res, { ...common, draft: posted, preview, unsaved: true });
      }
      const next = await stepWithBlocks(step, checked.subject, checked.blocks);
      const result = await saveDefinition(ctx, store, flow.id, flow.status, replaceStep(definition, step.id, next));
      if (!result.ok) {
        const other = result.errors.map((e) => e.message).join('; ');
        return page(req, res, { ...common, draft: posted, errors: { _blocks: `The email could not be saved: ${other}` }, unsaved: true }, 422);
      }
      return res.redirect(303, `${base(req)}?done=saved`);
    }
    // Add, move, remove and find change only what is on the page until Save.
    const applied = applyOp(posted, op);
    await page(req, res, { ...common, draft: applied.draft, focus: applied.focus, unsaved: true });
  });

  r.post('/flows/:id/steps/:stepId/email/raw', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const step = emailStepOf(definition, req.params.stepId);
    if (step.blocks) {
      const result = await saveDefinition(ctx, store, flow.id, flow.status, replaceStep(definition, step.id, stepWithoutBlocks(step)));
      if (!result.ok) throw new ProblemError(422, `The email could not be switched to raw HTML: ${result.errors.map((e) => e.message).join('; ')}`);
    }
    res.redirect(303, `/app/flows/${flow.id}/steps/${encodeURIComponent(step.id)}`);
  });
}
