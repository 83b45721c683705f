// Update profile: sets properties on the shopper's profile (merged by the tick in its
// transaction) and goes on; later steps of the same tick already see the new values.
import { z } from 'zod';
import { next, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import { THEN_FIELD, thenEdge, type StepModule } from './step-module.ts';

const schema = z.object({ id: StepId, type: z.literal('update-profile'), set: z.record(z.string().min(1).max(255), z.unknown()), next });
type UpdateProfileStep = z.infer<typeof schema>;

export const updateProfileStep = {
  type: 'update-profile',
  title: 'Update the profile',
  schema,
  edges: () => thenEdge<UpdateProfileStep>(),
  advance: (step, v) => {
    v.out.effects.push({ kind: 'update-profile', stepId: step.id, set: step.set });
    Object.assign(v.facts.profile.properties, step.set);
    v.goTo(step.id, step.next, 'updated');
    return 'on';
  },
  needs: {},
  form: {
    values: (step) => ({ set: JSON.stringify(step.set, null, 2), next: str(step.next) }),
    parse: (f, base) => {
      try {
        const set = JSON.parse(str(f.set) || '{}') as unknown;
        if (!set || typeof set !== 'object' || Array.isArray(set)) return { field: 'set', message: 'write a JSON object such as {"vip": true}' };
        return { step: { ...base, set, next: opt(f.next) } };
      } catch {
        return { field: 'set', message: 'this is not valid JSON; write an object such as {"vip": true}' };
      }
    },
    edgeFields: THEN_FIELD,
  },
  summary: (step) => `Set ${Object.keys(step.set).join(', ') || 'nothing'} on the profile`,
  sample: (id, to) => ({ id, type: 'update-profile', set: { lastFlow: 'yes' }, next: to }),
} satisfies StepModule<UpdateProfileStep>;
