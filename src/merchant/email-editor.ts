// The email editor's use cases: read the blocks a form carries, add, move and remove one, check
// them with the blocks schema (errors keyed by field, in words a merchant acts on), and turn them
// into the email step the flow saves: blocks kept as data, their compiled template in `html`.
import { z } from 'zod';
import type pg from 'pg';
import type { Store } from '../model/store.ts';
import { searchPreviewProfiles } from '../db/repositories/preview-profiles.ts';
import type { Step } from '../flows/definition.ts';
import { EMAIL_BLOCK_TYPES, EmailBlocks, newBlock, type EmailBlock, type EmailBlockType } from '../messaging/email-blocks/blocks.ts';
import { compileBlocks } from '../messaging/email-blocks/compile.ts';

export type EmailStep = Extract<Step, { type: 'email' }>;
/** A block as the form holds it: strings, possibly invalid until saved. */
export type DraftBlock = Record<string, string> & { type: EmailBlockType };
export type Draft = { subject: string; blocks: DraftBlock[] };

export const BLOCK_LABELS: Record<EmailBlockType, string> = {
  heading: 'Heading',
  text: 'Text',
  image: 'Image',
  button: 'Button',
  product: 'Product',
  discount: 'Discount code',
  footer: 'Footer with unsubscribe',
};

const FIELDS = ['text', 'align', 'src', 'alt', 'href', 'label', 'source', 'limit', 'buttonLabel', 'code', 'address'] as const;
const isType = (v: unknown): v is EmailBlockType => typeof v === 'string' && (EMAIL_BLOCK_TYPES as readonly string[]).includes(v);

/** What a stored block looks like in the form. */
export function draftOf(b: EmailBlock): DraftBlock {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = String(v);
  return out as DraftBlock;
}

/** A starting set for an email that had none: it can be sent as is, then edited. */
export function starterBlocks(subject: string): Draft {
  const blocks: EmailBlock[] = [
    { type: 'heading', text: 'Hi {{ profile.firstName | default: "there" }}', align: 'left' },
    { type: 'text', text: 'Thanks for visiting {{ store.domain }}. Here is what caught your eye:' },
    { type: 'product', source: 'items', limit: 3, buttonLabel: 'View' },
    { type: 'footer', address: '', text: '' },
  ];
  return { subject, blocks: blocks.map(draftOf) };
}

export function draftOfStep(step: EmailStep): Draft | null {
  return step.blocks ? { subject: step.subject, blocks: step.blocks.map(draftOf) } : null;
}

/** The subject and blocks a posted form carries, in order (`b.0.type`, `b.0.text`, …). */
export function draftOfForm(body: Record<string, unknown>): Draft {
  const indexes = Object.keys(body)
    .map((k) => /^b\.(\d{1,3})\.type$/.exec(k)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const blocks: DraftBlock[] = [];
  for (const i of indexes) {
    const type = body[`b.${i}.type`];
    if (!isType(type)) continue;
    const block: Record<string, string> = { type };
    for (const f of FIELDS) {
      const v = body[`b.${i}.${f}`];
      if (typeof v === 'string') block[f] = v;
    }
    blocks.push(block as DraftBlock);
  }
  return { subject: typeof body.subject === 'string' ? body.subject : '', blocks };
}

const Op = z.union([
  z.literal('save'),
  z.literal('preview'),
  z.literal('find'),
  z.string().regex(/^add:[a-z]+$/),
  z.string().regex(/^(up|down|remove):\d{1,3}$/),
]);

/** Applies an add, move or remove; anything else leaves the draft as it is. */
export function applyOp(draft: Draft, op: string): { draft: Draft; focus: number | null } {
  const parsed = Op.safeParse(op);
  if (!parsed.success) return { draft, focus: null };
  const [verb, arg] = parsed.data.split(':') as [string, string | undefined];
  const blocks = [...draft.blocks];
  if (verb === 'add' && isType(arg)) {
    // New blocks go above the footer, which stays last.
    const at = blocks.findIndex((b) => b.type === 'footer');
    const where = at < 0 || arg === 'footer' ? blocks.length : at;
    blocks.splice(where, 0, draftOf(newBlock(arg)));
    return { draft: { ...draft, blocks }, focus: where };
  }
  const i = Number(arg);
  if (!(i >= 0 && i < blocks.length)) return { draft, focus: null };
  if (verb === 'remove') {
    blocks.splice(i, 1);
    return { draft: { ...draft, blocks }, focus: Math.min(i, blocks.length - 1) };
  }
  const j = verb === 'up' ? i - 1 : verb === 'down' ? i + 1 : i;
  if (j < 0 || j >= blocks.length || j === i) return { draft, focus: i };
  [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
  return { draft: { ...draft, blocks }, focus: j };
}

/** Form strings → the values the schema reads (numbers, absent optional links). */
function candidate(b: DraftBlock): Record<string, unknown> {
  const out: Record<string, unknown> = { ...b };
  if ('limit' in b) out.limit = b.limit === '' ? undefined : Number(b.limit);
  if (b.href === '' && b.type === 'image') delete out.href;
  return out;
}

export type Checked = { ok: true; subject: string; blocks: EmailBlocks } | { ok: false; errors: Record<string, string> };

/** Checks subject and blocks; errors are keyed `subject` or `b.<index>.<field>`. */
export function checkDraft(draft: Draft): Checked {
  const errors: Record<string, string> = {};
  const subject = draft.subject.trim();
  if (!subject) errors.subject = 'write a subject line';
  else if (subject.length > 500) errors.subject = 'keep the subject under 500 characters';
  if (draft.blocks.length === 0) errors._blocks = 'add at least one block';
  const parsed = EmailBlocks.safeParse(draft.blocks.map(candidate));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [i, field] = issue.path;
      const key = typeof i === 'number' ? `b.${i}.${String(field ?? 'type')}` : '_blocks';
      errors[key] ??= issue.code === 'invalid_type' && typeof field === 'string' ? 'fill this in' : issue.message;
    }
  }
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, subject, blocks: parsed.data };
}

/** The email step with these blocks: the blocks are the message, `html` their compiled template. */
export async function stepWithBlocks(step: EmailStep, subject: string, blocks: EmailBlocks): Promise<EmailStep> {
  return { ...step, subject, blocks, html: await compileBlocks(blocks) };
}

/** Raw mode: the compiled template becomes the editable HTML and the blocks are dropped. */
export function stepWithoutBlocks(step: EmailStep): EmailStep {
  const { blocks: _dropped, ...raw } = step;
  return raw;
}

/** Profiles of the store to preview as, labelled as the picker shows them. */
export async function previewProfileChoices(pool: pg.Pool, store: Store, text: string): Promise<Array<{ value: string; label: string }>> {
  const rows = await searchPreviewProfiles(pool, store.id, text.slice(0, 200), 20);
  return rows.map((r) => {
    const name = [r.firstName, r.lastName].filter(Boolean).join(' ');
    const contact = r.email ?? r.phone ?? r.id;
    return { value: r.id, label: name ? `${name} · ${contact}` : contact };
  });
}
