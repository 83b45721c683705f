// Webhook bodies parsed once, with every integer kept exact. Shopify's ids are 64-bit (its own
// samples use 788032119674292922); JSON.parse would round them to the nearest double, silently
// naming another product. Node 24 hands the reviver each value's source text, so an integer
// past Number.MAX_SAFE_INTEGER is kept as its decimal digits, a string, as ids are stored.

type ReviverContext = { source?: string };

function keepExactIntegers(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return context.source;
  }
  return value;
}

/** JSON.parse that never rounds an integer: unsafe ones come back as their exact digits. Throws on invalid JSON. */
export function parseExactJson(text: string): unknown {
  try {
    return JSON.parse(text, keepExactIntegers as (this: unknown, key: string, value: unknown) => unknown);
  } catch (err) {
    // A reviver recurses once per level, so valid JSON nested thousands deep overflows the stack
    // where plain JSON.parse does not. No platform nests like that: such a body is still JSON
    // (so acknowledged and parked, not refused), and its ids are never read.
    if (err instanceof RangeError) return JSON.parse(text);
    throw err;
  }
}
