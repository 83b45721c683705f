// Blocks → MJML → responsive HTML that mail clients render (MJML writes the tables, the Outlook
// conditionals and the mobile media queries). The HTML is still a Liquid template: the
// variables inside the blocks render per recipient later, through the escaping engine in
// templates.ts, so a shopper's name or a product title can never become markup.
import { createRequire } from 'node:module';
import type { EmailBlock, EmailBlocks } from './blocks.ts';

type MjmlResult = { html: string; errors: Array<{ formattedMessage: string }> };
type Mjml2Html = (mjml: string, options: Record<string, unknown>) => Promise<MjmlResult>;
// mjml ships CommonJS without types; this is the one entry point used.
const mjml2html = createRequire(import.meta.url)('mjml') as Mjml2Html;

const LIQUID = /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\})/;

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/** Merchant text as markup: literal parts escaped, Liquid parts kept for the per-recipient render. */
function text(s: string): string {
  return s.split(LIQUID).map((part, i) => (i % 2 === 1 ? part : escapeText(part))).join('');
}

/** The same inside a double-quoted attribute: Liquid's own string quotes become single quotes. */
function attr(s: string): string {
  return s.split(LIQUID).map((part, i) => (i % 2 === 1 ? part.replace(/"/g, "'") : escapeAttr(part))).join('');
}

/** Blank lines start a paragraph, single newlines break the line. */
function paragraphs(s: string): string {
  return s
    .split(/\n\s*\n/)
    .map((p) => `<p style="margin:0 0 12px 0;">${p.split('\n').map(text).join('<br>')}</p>`)
    .join('');
}

const section = (inner: string, padding = '4px 0') => `<mj-section background-color="#ffffff" padding="${padding}"><mj-column>${inner}</mj-column></mj-section>`;

/** One product card: image, title, price in the store's currency, and a link to it. */
function productCard(v: string, buttonLabel: string): string {
  return (
    `<mj-section background-color="#ffffff" padding="8px 0">` +
    `<mj-column width="35%"><mj-raw>{% if ${v}.imageUrl %}</mj-raw><mj-image src="{{ ${v}.imageUrl }}" alt="{{ ${v}.title }}" href="{{ ${v}.url }}" padding="8px 16px" /><mj-raw>{% endif %}</mj-raw></mj-column>` +
    `<mj-column width="65%"><mj-text padding="8px 16px"><p style="margin:0 0 4px 0;font-weight:700;">{{ ${v}.title }}</p>` +
    `{% if ${v}.price %}<p style="margin:0;">{{ ${v}.price | money: store.currency }}</p>{% endif %}</mj-text>` +
    `<mj-raw>{% if ${v}.url %}</mj-raw><mj-button href="{{ ${v}.url }}" align="left" padding="8px 16px">${text(buttonLabel)}</mj-button><mj-raw>{% endif %}</mj-raw></mj-column>` +
    `</mj-section>`
  );
}

function footer(b: Extract<EmailBlock, { type: 'footer' }>): string {
  const lines = [b.text ? paragraphs(b.text) : '', b.address ? `<p style="margin:0 0 8px 0;">${b.address.split('\n').map(text).join('<br>')}</p>` : ''];
  return section(
    `<mj-text font-size="12px" color="#4b5563" align="center">${lines.join('')}` +
      `<p style="margin:0;">You receive this because you signed up at {{ store.domain }}. <a href="{{ unsubscribeUrl }}" style="color:#4b5563;">Unsubscribe</a></p></mj-text>`,
    '16px 0',
  );
}

function block(b: EmailBlock): string {
  switch (b.type) {
    case 'heading':
      return section(`<mj-text align="${b.align}" font-size="24px" line-height="1.3"><h1 style="margin:0;font-size:24px;">${text(b.text)}</h1></mj-text>`, '16px 0 4px 0');
    case 'text':
      return section(`<mj-text>${paragraphs(b.text)}</mj-text>`);
    case 'image':
      return section(`<mj-image src="${attr(b.src)}" alt="${attr(b.alt)}"${b.href ? ` href="${attr(b.href)}"` : ''} />`);
    case 'button':
      return section(`<mj-button href="${attr(b.href)}" align="${b.align}">${text(b.label)}</mj-button>`, '8px 0');
    case 'product':
      return b.source === 'product'
        ? `<mj-raw>{% if product %}</mj-raw>${productCard('product', b.buttonLabel)}<mj-raw>{% endif %}</mj-raw>`
        : `<mj-raw>{% for item in items limit: ${b.limit} %}</mj-raw>${productCard('item', b.buttonLabel)}<mj-raw>{% endfor %}</mj-raw>`;
    case 'discount':
      return section(
        `<mj-text align="center">${b.text ? paragraphs(b.text) : ''}` +
          `<p style="margin:0;font-size:22px;font-weight:700;letter-spacing:2px;"><span style="border:2px dashed #1d4ed8;padding:8px 16px;display:inline-block;">${text(b.code)}</span></p></mj-text>`,
        '12px 0',
      );
    case 'footer':
      return footer(b);
  }
}

/** The MJML document; a footer with the unsubscribe link is added when the blocks have none. */
export function blocksToMjml(blocks: EmailBlocks): string {
  const all = blocks.some((b) => b.type === 'footer') ? blocks : [...blocks, { type: 'footer' as const, address: '', text: '' }];
  return (
    `<mjml><mj-head><mj-attributes><mj-all font-family="Helvetica, Arial, sans-serif" />` +
    `<mj-text font-size="16px" line-height="1.5" color="#1f2937" padding="8px 24px" />` +
    `<mj-button background-color="#1d4ed8" color="#ffffff" font-size="16px" border-radius="4px" />` +
    `<mj-image padding="8px 24px" /></mj-attributes></mj-head>` +
    `<mj-body width="600px" background-color="#f3f4f6">${all.map(block).join('')}</mj-body></mjml>`
  );
}

/** MJML → HTML; strict, so a bad document is an error rather than a broken email. */
export async function mjmlToHtml(mjml: string): Promise<string> {
  // No web fonts (no requests to font hosts), no includes from disk.
  const out = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false, fonts: {}, ignoreIncludes: true, minify: false, beautify: false });
  return out.html;
}

const compiled = new Map<string, Promise<string>>();
const CACHE_LIMIT = 200;

/**
 * The HTML template of a set of blocks. Compiling takes milliseconds (bench: email-blocks), so
 * each distinct set is compiled once per process and every recipient after reuses it.
 */
export function compileBlocks(blocks: EmailBlocks): Promise<string> {
  const key = JSON.stringify(blocks);
  let hit = compiled.get(key);
  if (!hit) {
    hit = mjmlToHtml(blocksToMjml(blocks));
    // A failed compile is not remembered; the next call tries again and reports its own error.
    hit.catch(() => compiled.delete(key));
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, hit);
  }
  return hit;
}
