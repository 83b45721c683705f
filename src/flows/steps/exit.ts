// Exit: the run ends here, exited rather than completed.
import { z } from 'zod';
import { StepId } from './fields.ts';
import type { StepModule } from './step-module.ts';

const schema = z.object({ id: StepId, type: z.literal('exit') });
type ExitStep = z.infer<typeof schema>;

export const exitStep = {
  type: 'exit',
  title: 'Exit the flow',
  schema,
  edges: () => [],
  advance: (step, v) => {
    v.log(step.id, 'exit');
    v.out.stepCount++;
    v.end('exited', 'exit step');
    return 'stop';
  },
  needs: {},
  form: {
    values: () => ({}),
    parse: (_f, base) => ({ step: base }),
    edgeFields: [],
  },
  summary: () => 'Exit the flow',
  sample: (id) => ({ id, type: 'exit' }),
} satisfies StepModule<ExitStep>;
