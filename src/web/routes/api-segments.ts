import { Router } from 'express';
import { z } from 'zod';
import { createSegment, readSegment, resolveSegmentInput, SegmentDefinition, storeSegments, type Segment } from '../../flows/segments.ts';
import { parseBody } from '../parse-batch.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { ProblemError } from '../problem.ts';

const json = (s: Segment) => ({ id: s.id, name: s.name, conditions: s.definition.conditions, members: s.members, evaluatedAt: s.evaluatedAt?.toISOString() ?? null });

export function segmentRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/segments', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    // parseBody also refuses what Postgres cannot store (NUL characters, very deep JSON) as a 422.
    const segment = await createSegment(ctx.db.pool, store.id, parseBody(SegmentDefinition, resolveSegmentInput(req.body)));
    res.status(201).json(json(segment));
  });
  r.get('/segments', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.json({ data: (await storeSegments(ctx.db.pool, store.id)).map(json) });
  });
  r.get('/segments/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const id = z.uuid().safeParse(req.params.id);
    const found = id.success ? await readSegment(ctx.db.pool, store.id, id.data) : undefined;
    if (!found) throw new ProblemError(404, 'No such segment.');
    res.json(json(found));
  });
  return r;
}
