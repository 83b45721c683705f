// The blocks of an email built in the editor, stored as data in the email step and read back
// through this schema: heading, text, image, button, product, discount code and footer.
import { z } from 'zod';

/** A link a merchant types: a web address, or Liquid that makes one (`{{ event.properties.CheckoutURL }}`). */
const Link = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => /^https?:\/\/\S+$/i.test(v) || /^\{\{[^}]+\}\}$/.test(v), 'enter a web address starting with https://, or a variable such as {{ event.properties.CheckoutURL }}');

const Align = z.enum(['left', 'center']).default('left');

export const HeadingBlock = z.object({ type: z.literal('heading'), text: z.string().trim().min(1, 'write the heading').max(300), align: Align });
export const TextBlock = z.object({ type: z.literal('text'), text: z.string().trim().min(1, 'write some text, or remove the block').max(5000) });
export const ImageBlock = z.object({
  type: z.literal('image'),
  src: Link,
  alt: z.string().trim().max(300, 'keep the description under 300 characters').default(''),
  href: Link.optional(),
});
export const ButtonBlock = z.object({ type: z.literal('button'), label: z.string().trim().min(1, 'write the button’s words').max(100), href: Link, align: Align.default('center') });
/** The trigger's product (low inventory, price drop, or the event's first item), or the event's items. */
export const ProductBlock = z.object({
  type: z.literal('product'),
  source: z.enum(['product', 'items']),
  limit: z.number().int().min(1, 'show at least 1 item').max(10, 'show at most 10 items').default(3),
  buttonLabel: z.string().trim().min(1, 'write the button’s words').max(100).default('View'),
});
export const DiscountBlock = z.object({
  type: z.literal('discount'),
  code: z.string().trim().min(1, 'enter the discount code').max(100),
  text: z.string().trim().max(500).default(''),
});
export const FooterBlock = z.object({
  type: z.literal('footer'),
  address: z.string().trim().max(500).default(''),
  text: z.string().trim().max(1000).default(''),
});

export const EmailBlock = z.discriminatedUnion('type', [HeadingBlock, TextBlock, ImageBlock, ButtonBlock, ProductBlock, DiscountBlock, FooterBlock]);
export type EmailBlock = z.infer<typeof EmailBlock>;
export type EmailBlockType = EmailBlock['type'];

export const EMAIL_BLOCK_TYPES = ['heading', 'text', 'image', 'button', 'product', 'discount', 'footer'] as const satisfies readonly EmailBlockType[];

export const EmailBlocks = z.array(EmailBlock).min(1).max(60);
export type EmailBlocks = z.infer<typeof EmailBlocks>;

/** What a new block starts as, so it can be added with one press and then edited. */
export function newBlock(type: EmailBlockType): EmailBlock {
  switch (type) {
    case 'heading': return { type, text: 'A heading', align: 'left' };
    case 'text': return { type, text: 'Hi {{ profile.firstName | default: "there" }},' };
    case 'image': return { type, src: '{{ product.imageUrl }}', alt: '' };
    case 'button': return { type, label: 'Shop now', href: '{{ event.properties.CheckoutURL }}', align: 'center' };
    case 'product': return { type, source: 'items', limit: 3, buttonLabel: 'View' };
    case 'discount': return { type, code: 'WELCOME10', text: 'Use this code at checkout.' };
    case 'footer': return { type, address: '', text: '' };
  }
}
