import { Router } from 'express';
import { z } from 'zod';
import { createSegment, readSegment, storeSegments, type Segment } from '../../flows/segments.ts';
import type { AppContext } from '../context.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { ProblemError } from '../problem.ts';

const json = (s: Segment) => ({ id: s.id, name: s.name, conditions: s.definition.conditions, members: s.members, evaluatedAt: s.evaluatedAt?.toISOString() ?? null });

export function segmentRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/segments', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const result = await createSegment(ctx.db.pool, store.id, req.body);
    if (!result.ok) {
      throw new ProblemError(422, 'The segment is invalid.', {
        errors: result.error.issues.map((i) => ({ index: null, path: i.path.join('.'), message: i.message })),
      });
    }
    res.status(201).json(json(result.segment));
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
