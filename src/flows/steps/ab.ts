// A/B split: the run takes one of two to five branches by weight. The branch is a stable hash of
// the run and step, so a replay (or a loop back) takes the same one.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { next, StepId } from './fields.ts';
import { num, opt, str } from './form-values.ts';
import type { StepForm, StepModule } from './step-module.ts';

/** Branches the editor's form shows. */
const FORM_BRANCHES = 3;

const schema = z.object({
  id: StepId,
  type: z.literal('ab'),
  branches: z.array(z.object({ weight: z.number().min(0).max(100), next })).min(2).max(5),
});
type AbStep = z.infer<typeof schema>;

/** A stable number in [0, 100) from the run and step: the same run always takes the same A/B branch. */
export function bucket(runId: string, stepId: string): number {
  const h = createHash('sha256').update(`${runId}:${stepId}`).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

export const abStep = {
  type: 'ab',
  title: 'A/B test',
  schema,
  edges: (step) =>
    step.branches.map((b, i) => ({
      key: `branch.${i}`,
      label: `branch ${i + 1} (${b.weight}%)`,
      lane: `Arm ${String.fromCharCode(65 + i)} (${b.weight}%)`,
      get: (s) => s.branches[i]?.next,
      set: (s, to) => ({ ...s, branches: s.branches.map((x, j) => (j === i ? { ...x, next: to } : x)) }),
    })),
  advance: (step, v) => {
    const { out } = v;
    let chosen = out.context.branches[step.id];
    if (chosen === undefined) {
      const b = bucket(v.run.id, step.id);
      let acc = 0;
      chosen = step.branches.length - 1;
      for (const [i, branch] of step.branches.entries()) {
        acc += branch.weight;
        if (b < acc) {
          chosen = i;
          break;
        }
      }
      out.context.branches[step.id] = chosen;
    }
    v.goTo(step.id, step.branches[chosen]!.next, `branch:${chosen}`);
    return 'on';
  },
  needs: {
    check: (step) => {
      const total = step.branches.reduce((s, b) => s + b.weight, 0);
      return Math.abs(total - 100) > 1e-9 ? [{ path: 'branches', message: `branch weights add up to ${total}, not 100` }] : [];
    },
  },
  form: {
    values: (step) => {
      const out: StepForm = {};
      for (let i = 0; i < FORM_BRANCHES; i++) {
        out[`branch_weight_${i}`] = step.branches[i] ? String(step.branches[i]!.weight) : '';
        out[`branch_next_${i}`] = str(step.branches[i]?.next);
      }
      return out;
    },
    parse: (f, base) => {
      const branches = [...Array(FORM_BRANCHES).keys()]
        .filter((i) => opt(f[`branch_weight_${i}`]) !== undefined || opt(f[`branch_next_${i}`]) !== undefined)
        .map((i) => ({ weight: num(f[`branch_weight_${i}`]), next: opt(f[`branch_next_${i}`]) }));
      return { step: { ...base, branches } };
    },
    // Each branch's next step is chosen beside its weight, in the step's own view.
    edgeFields: [],
    issueFields: [[/^branches\.(\d+)\.weight/, 'branch_weight_$1'], [/^branches\.(\d+)\.next/, 'branch_next_$1'], [/^branches/, 'branch_weight_0']],
  },
  summary: (step) => `A/B split into ${step.branches.length} branches`,
  sample: (id, to) => ({ id, type: 'ab', branches: [{ weight: 50, next: to }, { weight: 50, next: to }] }),
} satisfies StepModule<AbStep>;
