// The benchmark flow's step ids and templates, shared by the seed (which creates the flow) and
// the raw side (which writes the rows the flow would write), so both produce the same messages.

export const BENCH_FLOW = {
  trigger: 'Started Checkout',
  delayStep: 'wait',
  splitStep: 'ordered',
  emailStep: 'remind',
  delay: 'PT1M',
  delayMs: 60_000,
  subject: (firstName: string) => `Still thinking it over, ${firstName}?`,
  html: (firstName: string, checkoutUrl: string, unsubscribeUrl: string) =>
    `<p>Hi ${firstName},</p><p>Your cart is waiting: <a href="${checkoutUrl}">finish checking out</a>.</p><p><a href="${unsubscribeUrl}">Unsubscribe</a></p>`,
} as const;
