// What an email built from blocks costs per message. Compiling blocks with MJML takes
// milliseconds, so the sending path compiles each set of blocks once per process and renders
// only Liquid per recipient. Timed: that path per message, beside the limit of rendering the
// same compiled HTML with Liquid alone (no compile at all); the uncached MJML compile per message
// is in the details, to show what compiling at send time would cost.
import type { Benchmark } from './types.ts';
import { EmailBlocks } from '../src/messaging/email-blocks/blocks.ts';
import { blocksToMjml, compileBlocks, mjmlToHtml } from '../src/messaging/email-blocks/compile.ts';
import { renderTemplate } from '../src/messaging/templates.ts';

const BLOCKS = EmailBlocks.parse([
  { type: 'heading', text: 'Hi {{ profile.firstName | default: "there" }}, your cart is waiting' },
  { type: 'text', text: 'We kept these for you.\n\nThey sell fast.' },
  { type: 'product', source: 'items', limit: 3, buttonLabel: 'See it' },
  { type: 'button', label: 'Back to your cart', href: '{{ event.properties.CheckoutURL }}' },
  { type: 'discount', code: 'COMEBACK10', text: '10% off with this code' },
  { type: 'footer', address: '1 Market St, Springfield' },
]);

const vars = (n: number) => ({
  profile: { firstName: `Shopper ${n}` },
  event: { properties: { CheckoutURL: `https://shop.example/checkout/${n}` } },
  items: [1, 2, 3].map((i) => ({ title: `Product ${i} <b>`, price: 10 * i + 0.5, url: `https://shop.example/p/${i}`, imageUrl: `https://shop.example/p/${i}.png` })),
  store: { domain: 'shop.example', currency: 'EUR' },
  unsubscribeUrl: `https://app.example/u/${n}`,
});

async function perMessage(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return (performance.now() - start) / count;
}

export const emailBlocksBench: Benchmark = {
  id: 'email-blocks',
  async run() {
    const mjml = blocksToMjml(BLOCKS);
    const firstStart = performance.now();
    const html = await mjmlToHtml(mjml);
    const firstCompileMs = performance.now() - firstStart;
    const compileMs = await perMessage(30, () => mjmlToHtml(mjml));
    // Warm both paths, then time them.
    await perMessage(200, (i) => renderTemplate(html, vars(i), { escapeHtml: true }));
    // Alternating rounds, so a busy machine slows both sides alike.
    let liquidMs = 0;
    let blocksMs = 0;
    for (let round = 0; round < 5; round++) {
      liquidMs += (await perMessage(400, (i) => renderTemplate(html, vars(i), { escapeHtml: true }))) / 5;
      blocksMs += (await perMessage(400, async (i) => renderTemplate(await compileBlocks(BLOCKS), vars(i), { escapeHtml: true }))) / 5;
    }
    return {
      name: 'email from blocks, per message',
      value: blocksMs,
      unit: 'ms',
      limit: { name: 'Liquid render of the compiled HTML alone', value: liquidMs },
      ratio: blocksMs / liquidMs,
      target: 1.5,
      better: 'lower',
      details: {
        mjmlCompileMsPerMessageUncached: Number(compileMs.toFixed(3)),
        mjmlFirstCompileMs: Number(firstCompileMs.toFixed(3)),
        compileToRenderRatio: Number((compileMs / liquidMs).toFixed(1)),
        htmlBytes: html.length,
      },
    };
  },
};
