// SMS: a Liquid text, rendered by the tick and queued in the outbox; it waits out the flow's
// quiet hours in the shopper's timezone.
import { z } from 'zod';
import { next, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import { advanceMessage } from './message.ts';
import { THEN_FIELD, thenEdge, type StepModule } from './step-module.ts';

const schema = z.object({ id: StepId, type: z.literal('sms'), text: z.string().min(1).max(1600), next });
type SmsStep = z.infer<typeof schema>;

export const smsStep = {
  type: 'sms',
  title: 'SMS',
  schema,
  edges: () => thenEdge<SmsStep>(),
  advance: advanceMessage,
  needs: { channel: 'sms', templates: (step) => [['text', step.text]] },
  form: {
    values: (step) => ({ text: step.text, next: str(step.next) }),
    parse: (f, base) => ({ step: { ...base, text: str(f.text), next: opt(f.next) } }),
    edgeFields: THEN_FIELD,
  },
  summary: (step) => `SMS “${step.text.length > 60 ? `${step.text.slice(0, 60)}…` : step.text}”`,
  sample: (id, to) => ({ id, type: 'sms', text: 'Hi {{ profile.firstName | default: "there" }}! Reply STOP to opt out.', next: to }),
} satisfies StepModule<SmsStep>;
