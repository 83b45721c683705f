// The one rule of a price drop, shared by the audience query's caller and the re-check before
// each message: the price now lies at least the chosen share and/or amount below what the
// shopper saw. Money is compared in cents so 19.99 → 17.99 is exactly 2.00.

export type DropRule = { minPercent?: number | null; minAmount?: number | null };

const cents = (n: number): number => Math.round(n * 100);

export function dropHolds(seenPrice: number, currentPrice: number, rule: DropRule): boolean {
  const seen = cents(seenPrice);
  const fall = seen - cents(currentPrice);
  if (fall <= 0) return false;
  if (rule.minAmount != null && fall < cents(rule.minAmount)) return false;
  if (rule.minPercent != null && fall * 100 < seen * rule.minPercent - 1e-6) return false;
  return true;
}
