// The email editor's blocks: compiled to MJML, then HTML, then rendered per recipient through
// the escaping Liquid engine. Pure functions, no database.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EmailBlocks, newBlock, EMAIL_BLOCK_TYPES } from '../src/messaging/email-blocks/blocks.ts';
import { blocksToMjml, compileBlocks } from '../src/messaging/email-blocks/compile.ts';
import { renderTemplate, money } from '../src/messaging/templates.ts';

const vars = (over: Record<string, unknown> = {}) => ({
  profile: { firstName: 'Ada', email: 'ada@example.com' },
  store: { domain: 'shop.example', currency: 'EUR' },
  unsubscribeUrl: 'https://app.example/u/token-123',
  product: null,
  items: [],
  ...over,
});

async function render(blocks: unknown, v: Record<string, unknown>) {
  const html = await compileBlocks(EmailBlocks.parse(blocks));
  return (await renderTemplate(html, v, { escapeHtml: true })).output;
}

describe('email blocks', () => {
  test('every block type compiles with MJML into a responsive HTML document', async () => {
    const blocks = EmailBlocks.parse(EMAIL_BLOCK_TYPES.map((t) => (t === 'image' ? { type: 'image', src: 'https://cdn.example/a.png', alt: 'A' } : newBlock(t))));
    const html = await compileBlocks(blocks);
    assert.match(html, /^<!doctype html>/i);
    // MJML's mobile rule: columns stack under its breakpoint.
    assert.match(html, /@media only screen and \(min-width:480px\)/);
    assert.match(html, /<!--\[if mso \| IE\]>/, 'Outlook conditionals written by MJML');
    assert.match(html, /<h1 style="margin:0;font-size:24px;">A heading<\/h1>/);
    assert.match(html, /WELCOME10/);
    assert.doesNotMatch(html, /fonts\.googleapis/, 'no web font requests');
  });

  test('a product title with <script> is escaped when rendered per recipient', async () => {
    const out = await render([{ type: 'product', source: 'items', limit: 3, buttonLabel: 'See it' }], vars({
      items: [{ title: '<script>alert(1)</script>', price: 19.5, url: 'https://shop.example/p/1', imageUrl: 'https://shop.example/i/1.png' }],
    }));
    assert.doesNotMatch(out, /<script>alert/);
    assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(out, /€19\.50/, 'price in the store’s currency');
  });

  test('a product block over the event’s items shows each item up to its limit', async () => {
    const items = [1, 2, 3, 4].map((n) => ({ title: `Item ${n}`, price: n * 10, url: `https://shop.example/p/${n}`, imageUrl: `https://shop.example/i/${n}.png` }));
    const out = await render([{ type: 'product', source: 'items', limit: 3, buttonLabel: 'See it' }], vars({ items }));
    for (const n of [1, 2, 3]) {
      assert.match(out, new RegExp(`Item ${n}<`));
      assert.match(out, new RegExp(`src="https://shop.example/i/${n}.png"`));
      assert.match(out, new RegExp(`href="https://shop.example/p/${n}"`));
    }
    assert.doesNotMatch(out, /Item 4/, 'limit 3');
    assert.match(out, /€30\.00/);
  });

  test('a product block bound to the trigger’s product; nothing when the run has none', async () => {
    const block = [{ type: 'product', source: 'product', buttonLabel: 'Buy' }];
    const withProduct = await render(block, vars({ product: { title: 'Linen Shirt', price: '59', url: 'https://shop.example/linen', imageUrl: null } }));
    assert.match(withProduct, /Linen Shirt/);
    assert.match(withProduct, /€59\.00/);
    assert.doesNotMatch(withProduct, /<img/, 'no broken image when the product has none');
    const without = await render(block, vars());
    assert.doesNotMatch(without, /Buy</);
  });

  test('the unsubscribe link is always there, with the store address', async () => {
    const withFooter = await render([{ type: 'text', text: 'Hi' }, { type: 'footer', address: '1 High St\nLondon', text: '' }], vars());
    assert.match(withFooter, /href="https:\/\/app\.example\/u\/token-123"/);
    assert.match(withFooter, /1 High St<br>London/);
    const withoutFooter = await render([{ type: 'text', text: 'Hi' }], vars());
    assert.match(withoutFooter, /href="https:\/\/app\.example\/u\/token-123"[^>]*>Unsubscribe/, 'added when the blocks have no footer');
  });

  test('merchant text is text; Liquid inside it renders per recipient, escaped', async () => {
    const out = await render(
      [{ type: 'heading', text: 'Hi {{ profile.firstName | default: "there" }} <b>' }, { type: 'text', text: 'Line 1\nLine 2\n\nNext & last' }],
      vars({ profile: { firstName: '<img src=x onerror=alert(1)>' } }),
    );
    assert.match(out, /Hi &lt;img src=x onerror=alert\(1\)&gt; &lt;b&gt;/);
    assert.match(out, /Line 1<br>Line 2<\/p><p[^>]*>Next &amp; last/);
    const fallback = await render([{ type: 'heading', text: 'Hi {{ profile.firstName | default: "there" }}' }], vars({ profile: {} }));
    assert.match(fallback, /Hi there/);
  });

  test('links must be web addresses or a variable; a button keeps Liquid in its link', async () => {
    assert.equal(EmailBlocks.safeParse([{ type: 'button', label: 'Go', href: 'javascript:alert(1)' }]).success, false);
    const out = await render([{ type: 'button', label: 'Back to cart', href: '{{ event.properties.CheckoutURL }}' }], vars({ event: { properties: { CheckoutURL: 'https://shop.example/c?a=1&b="2"' } } }));
    assert.match(out, /href="https:\/\/shop\.example\/c\?a=1&amp;b=&#34;2&#34;"/);
  });

  test('the MJML document names only MJML components', () => {
    const mjml = blocksToMjml(EmailBlocks.parse([{ type: 'text', text: '<mj-include path="/etc/passwd" />' }]));
    assert.doesNotMatch(mjml, /<mj-include/);
    assert.match(mjml, /&lt;mj-include/);
  });

  test('money in the store currency', () => {
    assert.equal(money(59, 'EUR'), '€59.00');
    assert.equal(money('12.5', 'GBP'), '£12.50');
    assert.equal(money(null, 'EUR'), '');
    assert.equal(money(3, 'NOT-A-CODE'), '3.00');
  });
});
