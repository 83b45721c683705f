import { Router } from 'express';
import { z } from 'zod';
import { FlowId } from '../../model/ids.ts';
import type { Flow } from '../../model/flow.ts';
import type { FlowDefinition } from '../../flows/definition.ts';
import { FlowStatus } from '../../flows/definition.ts';
import type { FlowIssue } from '../../flows/validate-flow.ts';
import { changeFlowStatus, createFlow, getFlow, listStoreFlows, updateFlow, type TriggerPolicy } from '../../flows/flow-service.ts';
import { flowReport } from '../../flows/report.ts';
import type { Store } from '../../model/store.ts';
import type { AppContext } from '../../runtime.ts';
import { lowInventoryPolicy } from '../../../connectors/low-inventory-policy.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { parseBody, parseQuery } from '../parse-batch.ts';
import { previewAudience } from '../../flows/low-inventory-preview.ts';
import { ProblemError } from '../problem.ts';

const StatusBody = z.object({ status: FlowStatus });
const AudienceQuery = z.object({ productId: z.string().min(1).max(255), variantId: z.string().min(1).max(255).optional() });

function flowJson(flow: Flow, definition?: FlowDefinition, warnings?: FlowIssue[]) {
  return {
    id: flow.id,
    name: flow.name,
    tags: flow.tags,
    status: flow.status,
    version: flow.version,
    trigger: definition?.trigger ?? { type: flow.triggerType },
    createdAt: flow.createdAt.toISOString(),
    updatedAt: flow.updatedAt.toISOString(),
    ...(definition ? { definition } : {}),
    ...(warnings ? { warnings: warnings.map((w) => w.message) } : {}),
  };
}

function refuse(errors: FlowIssue[]): never {
  throw new ProblemError(422, `The flow definition is invalid: ${errors[0]!.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}.`, {
    slug: 'invalid-flow',
    errors: errors.map((e) => ({ index: null, path: e.path, message: e.message })),
  });
}

function flowIdOf(raw: unknown): FlowId {
  const id = FlowId.safeParse(raw);
  if (!id.success) throw new ProblemError(404, 'No such flow.');
  return id.data;
}

function notFound(): never {
  throw new ProblemError(404, 'No such flow.');
}

export function flowRoutes(ctx: AppContext): Router {
  const r = Router();
  const policy = (store: Store): TriggerPolicy => ({ ...lowInventoryPolicy(store, ctx.connectors), outbound: ctx.config.outbound });

  r.post('/flows', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const result = await createFlow(ctx.db.pool, store, req.body, policy(store));
    if (!result.ok) refuse(result.errors);
    res.status(201).location(`/api/v1/flows/${result.flow.id}`).json(flowJson(result.flow, result.definition, result.warnings));
  });
  r.get('/flows', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.json({ data: (await listStoreFlows(ctx.db.pool, store)).map((f) => flowJson(f)) });
  });
  r.get('/flows/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const found = await getFlow(ctx.db.pool, store, flowIdOf(req.params.id));
    if (!found) notFound();
    res.json(flowJson(found.flow, found.definition, found.warnings));
  });
  r.put('/flows/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const result = await updateFlow(ctx.db.pool, store, flowIdOf(req.params.id), req.body, policy(store));
    if (!result) notFound();
    if (!result.ok) refuse(result.errors);
    res.json(flowJson(result.flow, result.definition, result.warnings));
  });
  r.patch('/flows/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { status } = parseBody(StatusBody, req.body);
    const changed = await changeFlowStatus(ctx.db.pool, store, flowIdOf(req.params.id), status);
    if (!changed) notFound();
    res.json({
      ...flowJson(changed.flow),
      previousStatus: changed.previous,
      pausedRuns: changed.pausedRuns,
      resumedRuns: changed.resumedRuns,
      releasedMessages: changed.releasedMessages,
    });
  });
  r.get('/flows/:id/audience', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const q = parseQuery(AudienceQuery, req.query);
    const preview = await previewAudience(ctx.db.pool, store, flowIdOf(req.params.id), q.productId, q.variantId ?? null);
    if (!preview.ok) throw new ProblemError(preview.status, preview.detail);
    const { ok: _ok, ...body } = preview;
    res.json(body);
  });
  r.get('/flows/:id/report', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const report = await flowReport(ctx.db.pool, store, flowIdOf(req.params.id));
    if (!report) notFound();
    res.json(report);
  });
  return r;
}
