// The builder graph's in-place edits: add a step at an add point, move a step (up, down, or to
// any add point, into or out of a split's lanes), remove a step or a split with its lanes. Plain
// forms with the session's CSRF token, so they work without script; each publishes the next
// version through the flow service, which validates it and keeps the flow's status.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { FlowDefinition } from '../../flows/definition.ts';
import { STEP_TYPES } from '../../merchant/flow-graph.ts';
import { addAt, moveTo, removeAt, type EditResult } from '../../merchant/flow-edits.ts';
import { ProblemError } from '../problem.ts';
import { loadFlow, saveDefinition } from './app-flows.ts';
import type { MerchantLocals } from './page-locals.ts';

const StepRef = z.string().trim().min(1, 'Choose a step.').max(64);
const PointRef = z.string().trim().min(1, 'Choose where the step goes.').max(4000);
const AddForm = z.object({ type: z.enum(STEP_TYPES, 'Choose a kind of step to add.'), at: PointRef });
const MoveForm = z.object({ step: StepRef, to: PointRef });
const RemoveForm = z.object({ step: StepRef });

const firstMessage = (e: z.ZodError) => e.issues[0]?.message ?? 'The form was incomplete; reload the page and try again.';
const anchor = (id: string) => `#step-${encodeURIComponent(id)}`;

export function appFlowGraphPages(r: Router, ctx: AppContext): void {
  // The flow is found (within the signed-in store) before the form is read: another store's flow
  // answers 404 whatever was posted, never a validation message about it.
  const apply = async <F>(req: Request, res: Response, schema: z.ZodType<F>, edit: (def: FlowDefinition, form: F) => EditResult, what: (form: F) => string) => {
    const { store } = res.locals as MerchantLocals;
    const { flow, definition } = await loadFlow(ctx, store, req.params.id);
    const form = schema.safeParse(req.body);
    if (!form.success) throw new ProblemError(422, firstMessage(form.error));
    const result = edit(definition, form.data);
    if (!result.ok) throw new ProblemError(409, result.message);
    const saved = await saveDefinition(ctx, store, flow.id, flow.status, result.definition);
    if (!saved.ok) throw new ProblemError(422, `${what(form.data)}: ${saved.errors.map((e) => e.message).join('; ')}. Undo it by editing the steps named, or reload the builder.`);
    return { flow, stepId: result.stepId };
  };

  r.post('/flows/:id/graph/add', async (req, res) => {
    const { flow, stepId } = await apply(req, res, AddForm, (d, f) => addAt(d, f.at, f.type), () => 'The step could not be added');
    res.redirect(303, `/app/flows/${flow.id}/steps/${encodeURIComponent(stepId)}`);
  });

  r.post('/flows/:id/graph/move', async (req, res) => {
    const { flow, stepId } = await apply(req, res, MoveForm, (d, f) => moveTo(d, f.step, f.to), (f) => `Step ${f.step} could not be moved`);
    res.redirect(303, `/app/flows/${flow.id}?done=moved&step=${encodeURIComponent(stepId)}${anchor(stepId)}`);
  });

  r.post('/flows/:id/graph/remove', async (req, res) => {
    const { flow } = await apply(req, res, RemoveForm, (d, f) => removeAt(d, f.step), (f) => `Removing step ${f.step} would break the flow`);
    res.redirect(303, `/app/flows/${flow.id}?done=removed`);
  });
}
