// One-click flows (DESIGN §6). Each is an ordinary definition the merchant can then edit.
import type { FlowDefinition } from './definition.ts';

type Preset = Omit<FlowDefinition, 'smartSending' | 'quietHours' | 'attributionDays' | 'tags' | 'filters' | 'reentry'> &
  Partial<Pick<FlowDefinition, 'filters' | 'reentry' | 'tags'>>;

const footer = '<p style="font-size:12px;color:#666">You get this because you shop at {{ store.domain }}. <a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>';

const itemsTable = `<table>{% for item in items %}<tr><td>{% if item.imageUrl %}<img src="{{ item.imageUrl }}" width="64" alt="">{% endif %}</td>
<td><a href="{{ item.url }}">{{ item.title | default: "Your item" }}</a> × {{ item.quantity }}</td><td>{{ item.price }}</td></tr>{% endfor %}</table>`;

/** The shopper's own variant (their size), when their event named one. */
const yourVariant = `{% if variant.title %}<p>Yours, <a href="{{ variant.url }}">{{ variant.title }}</a>: {{ variant.inventoryQuantity }} left.</p>{% endif %}`;

export const PRESETS = {
  'low-inventory': {
    name: 'Low inventory',
    status: 'draft',
    tags: ['low-inventory'],
    trigger: { type: 'low-inventory', level: 'product', threshold: 5, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 },
    start: 'email',
    steps: [
      {
        id: 'email',
        type: 'email',
        subject: 'Almost gone: {{ product.title }}',
        html: `<p>Hi {{ profile.firstName | default: "there" }},</p><p>Only {{ product.inventoryQuantity }} left of
<a href="{{ product.url }}">{{ product.title }}</a>{% if product.price %} ({{ product.price }}){% endif %}.</p>
${yourVariant}
{% if product.imageUrl %}<p><img src="{{ product.imageUrl }}" width="240" alt="{{ product.title }}"></p>{% endif %}${footer}`,
      },
    ],
  },
  'price-drop': {
    name: 'Price drop',
    status: 'draft',
    tags: ['price-drop'],
    trigger: { type: 'price-drop', level: 'product', minPercent: 10, metrics: ['Viewed Product', 'Added to Cart', 'Started Checkout'], lookbackDays: 30, excludePurchasedWithinDays: 30 },
    start: 'email',
    steps: [
      {
        id: 'email',
        type: 'email',
        subject: 'Now {{ priceDrop.price }}: {{ product.title }}',
        html: `<p>Hi {{ profile.firstName | default: "there" }},</p><p><a href="{{ variant.url | default: product.url }}">{{ product.title }}{% if variant.title %} ({{ variant.title }}){% endif %}</a>
is now {{ priceDrop.price }}, down from {{ priceDrop.seenPrice }} when you looked.</p>
{% if product.imageUrl %}<p><img src="{{ product.imageUrl }}" width="240" alt="{{ product.title }}"></p>{% endif %}${footer}`,
      },
    ],
  },
  // The shopper's own variant: the run is about the variant they asked for, so `variant` names it.
  'back-in-stock': {
    name: 'Back in stock',
    status: 'draft',
    tags: ['back-in-stock'],
    trigger: { type: 'back-in-stock', minimum: 1, perUnit: 1, recountMinutes: 60 },
    start: 'email',
    steps: [
      {
        id: 'email',
        type: 'email',
        subject: 'Back in stock: {{ product.title }}{% if variant.title %} ({{ variant.title }}){% endif %}',
        html: `<p>Hi {{ profile.firstName | default: "there" }},</p><p>You asked us to tell you:
<a href="{{ variant.url | default: product.url }}">{{ product.title }}{% if variant.title %} ({{ variant.title }}){% endif %}</a> is back in stock.
{% if backInStock.quantity > 1 %}You asked for {{ backInStock.quantity }}; {% endif %}{{ product.inventoryQuantity }} available right now, first come, first served.</p>
{% if product.imageUrl %}<p><img src="{{ product.imageUrl }}" width="240" alt="{{ product.title }}"></p>{% endif %}${footer}`,
      },
    ],
  },
  'sell-out-forecast': {
    name: 'Selling out soon',
    status: 'draft',
    tags: ['sell-out-forecast'],
    trigger: { type: 'sell-out-forecast', level: 'product', withinHours: 48, velocityDays: 7, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 },
    start: 'email',
    steps: [
      {
        id: 'email',
        type: 'email',
        subject: 'Selling fast: {{ product.title }}',
        html: `<p>Hi {{ profile.firstName | default: "there" }},</p><p><a href="{{ product.url }}">{{ product.title }}</a> is selling fast:
at this pace the last {{ product.inventoryQuantity }} are expected to be gone within {{ product.forecastHours }} hours.</p>
{% if product.imageUrl %}<p><img src="{{ product.imageUrl }}" width="240" alt="{{ product.title }}"></p>{% endif %}${footer}`,
      },
    ],
  },
  'abandoned-checkout': {
    name: 'Abandoned checkout',
    status: 'draft',
    tags: ['abandoned-checkout'],
    trigger: { type: 'metric', metric: 'Started Checkout', where: [] },
    reentry: { mode: 'after', after: 'P1D' },
    start: 'wait',
    steps: [
      { id: 'wait', type: 'delay', duration: 'PT4H', next: 'ordered' },
      { id: 'ordered', type: 'split', condition: { metric: 'Placed Order', since: 'entry', atLeast: 1 }, yes: 'done', no: 'email' },
      {
        id: 'email',
        type: 'email',
        subject: 'You left something behind',
        html: `<p>Hi {{ profile.firstName | default: "there" }}, your cart is waiting.</p>${itemsTable}
<p><a href="{{ event.properties.CheckoutURL | default: event.properties.abandoned_checkout_url }}">Return to checkout</a></p>${footer}`,
      },
      { id: 'done', type: 'exit' },
    ],
  },
  // Added to Cart with neither Started Checkout nor Placed Order after it: earlier in the funnel
  // than an abandoned checkout, so a shopper who reached checkout hears from that flow instead.
  // Both splits count from the cart event's own time and are asked again before the email.
  'abandoned-cart': {
    name: 'Abandoned cart',
    status: 'draft',
    tags: ['abandoned-cart'],
    trigger: { type: 'metric', metric: 'Added to Cart', where: [] },
    reentry: { mode: 'after', after: 'P1D' },
    start: 'wait',
    steps: [
      { id: 'wait', type: 'delay', duration: 'PT2H', next: 'checked-out' },
      { id: 'checked-out', type: 'split', condition: { metric: 'Started Checkout', since: 'entry', atLeast: 1 }, yes: 'done', no: 'ordered' },
      { id: 'ordered', type: 'split', condition: { metric: 'Placed Order', since: 'entry', atLeast: 1 }, yes: 'done', no: 'email' },
      {
        id: 'email',
        type: 'email',
        subject: 'Still in your cart: {{ product.title | default: "your pick" }}',
        html: `<p>Hi {{ profile.firstName | default: "there" }}, you left this in your cart.</p>${itemsTable}
<p><a href="{{ product.url }}">Back to {{ product.title | default: "the shop" }}</a></p>${footer}`,
      },
      { id: 'done', type: 'exit' },
    ],
  },
  'browse-abandonment': {
    name: 'Browse abandonment',
    status: 'draft',
    tags: ['browse-abandonment'],
    trigger: { type: 'metric', metric: 'Viewed Product', where: [] },
    reentry: { mode: 'after', after: 'P7D' },
    start: 'wait',
    steps: [
      { id: 'wait', type: 'delay', duration: 'PT2H', next: 'checked-out' },
      { id: 'checked-out', type: 'split', condition: { metric: 'Started Checkout', since: 'entry', atLeast: 1 }, yes: 'done', no: 'email' },
      {
        id: 'email',
        type: 'email',
        subject: 'Still thinking about {{ product.title | default: "it" }}?',
        html: `<p>Hi {{ profile.firstName | default: "there" }},</p><p><a href="{{ product.url }}">{{ product.title }}</a> is still here.</p>${footer}`,
      },
      { id: 'done', type: 'exit' },
    ],
  },
  welcome: {
    name: 'Welcome series',
    status: 'draft',
    tags: ['welcome'],
    trigger: { type: 'list', list: 'Newsletter' },
    reentry: { mode: 'once' },
    start: 'email-1',
    steps: [
      { id: 'email-1', type: 'email', subject: 'Welcome to {{ store.domain }}', html: `<p>Hi {{ profile.firstName | default: "there" }}, welcome aboard.</p>${footer}`, next: 'wait-1' },
      { id: 'wait-1', type: 'delay', duration: 'P2D', next: 'email-2' },
      { id: 'email-2', type: 'email', subject: 'Our story', html: `<p>Here is what we make and why.</p>${footer}`, next: 'wait-2' },
      { id: 'wait-2', type: 'delay', duration: 'P3D', next: 'email-3' },
      { id: 'email-3', type: 'email', subject: 'Our best sellers', html: `<p>The pieces our customers love most.</p>${footer}` },
    ],
  },
  'post-purchase': {
    name: 'Post-purchase',
    status: 'draft',
    tags: ['post-purchase'],
    trigger: { type: 'metric', metric: 'Placed Order', where: [] },
    start: 'thanks',
    // Delivery confirmation waits for the order's Fulfilled Order; an order never shipped within
    // three weeks gets no confirmation and no review request.
    steps: [
      { id: 'thanks', type: 'email', subject: 'Thank you for your order', html: `<p>Thanks, {{ profile.firstName | default: "friend" }}!</p>${itemsTable}${footer}`, next: 'shipped' },
      { id: 'shipped', type: 'wait-for', metric: 'Fulfilled Order', timeout: 'P21D', onEvent: 'delivery', onTimeout: 'done' },
      { id: 'delivery', type: 'email', subject: 'Your order is on its way', html: `<p>Good news, {{ profile.firstName | default: "friend" }}: your order has shipped.</p>${footer}`, next: 'settle' },
      { id: 'settle', type: 'delay', duration: 'P7D', next: 'review' },
      { id: 'review', type: 'email', subject: 'How is it going?', html: `<p>We would love a review of your order.</p>${footer}` },
      { id: 'done', type: 'exit' },
    ],
  },
  birthday: {
    name: 'Birthday',
    status: 'draft',
    tags: ['birthday'],
    trigger: { type: 'date', property: 'birthday', offsetDays: 0, at: '09:00' },
    start: 'email',
    steps: [{ id: 'email', type: 'email', subject: 'Happy birthday, {{ profile.firstName | default: "friend" }}!', html: `<p>A little treat from us today.</p>${footer}` }],
  },
  // firstPurchaseAt is kept by ingest from the profile's earliest Placed Order; the purchase day
  // itself is not an anniversary, the same day a year later is.
  'first-purchase-anniversary': {
    name: 'First purchase anniversary',
    status: 'draft',
    tags: ['anniversary'],
    trigger: { type: 'date', property: 'firstPurchaseAt', offsetDays: 0, at: '10:00' },
    start: 'email',
    steps: [{ id: 'email', type: 'email', subject: 'A year ago today, {{ profile.firstName | default: "friend" }}', html: `<p>You placed your first order with us a year ago. Thank you for shopping with us.</p>${footer}` }],
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
