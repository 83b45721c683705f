// Email: a Liquid subject and HTML body, rendered by the tick and queued in the outbox.
import { z } from 'zod';
import { next, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import { advanceMessage } from './message.ts';
import { THEN_FIELD, thenEdge, type StepModule } from './step-module.ts';
import { EmailBlocks } from '../../messaging/email-blocks/blocks.ts';

/** An email built from blocks keeps them (the message) and their compiled template in `html` (where raw mode starts). */
const schema = z.object({ id: StepId, type: z.literal('email'), subject: z.string().min(1).max(500), html: z.string().min(1).max(200_000), blocks: EmailBlocks.optional(), next });
type EmailStep = z.infer<typeof schema>;

export const emailStep = {
  type: 'email',
  title: 'Email',
  schema,
  edges: () => thenEdge<EmailStep>(),
  advance: advanceMessage,
  needs: { channel: 'email', templates: (step) => [['subject', step.subject], ['html', step.html]] },
  form: {
    values: (step) => ({ subject: step.subject, html: step.html, next: str(step.next) }),
    parse: (f, base) => ({ step: { ...base, subject: str(f.subject), html: str(f.html), next: opt(f.next) } }),
    edgeFields: THEN_FIELD,
  },
  summary: (step) => `Email “${step.subject}”`,
  sample: (id, to) => ({ id, type: 'email', subject: 'A note from {{ store.domain }}', html: '<p>Hi {{ profile.firstName | default: "there" }},</p>\n<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>', next: to }),
} satisfies StepModule<EmailStep>;
