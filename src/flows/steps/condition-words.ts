// A condition in the merchant's words, for step summaries and the trigger's description.
import { humanDuration, OPERATORS } from '../../merchant/form-units.ts';

export const describeCondition = (c: { path?: string; op?: string; value?: unknown; metric?: string; since?: string; atLeast?: number }) =>
  c.metric !== undefined ? `has done ${c.metric}${(c.atLeast ?? 1) > 1 ? ` ${c.atLeast}×` : ''} ${c.since === 'entry' || !c.since ? ' since entering' : ` in the last ${humanDuration(c.since)}`}` : `${c.path!.replace(/^(profile|event)\.(properties\.)?/, (_m, root: string) => (root === 'event' ? 'event ' : 'profile '))} ${OPERATORS.find((o) => o.value === c.op)?.label ?? c.op}${c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`}`;
