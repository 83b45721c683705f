// Durations, times and conditions in a merchant's words, and the engine's validation messages
// turned into what to do. The definition keeps ISO 8601 and paths; only the forms change.
import { Duration } from 'luxon';

export const DURATION_UNITS = [
  { value: 'minutes', label: 'minutes', iso: (n: number) => `PT${n}M` },
  { value: 'hours', label: 'hours', iso: (n: number) => `PT${n}H` },
  { value: 'days', label: 'days', iso: (n: number) => `P${n}D` },
  { value: 'weeks', label: 'weeks', iso: (n: number) => `P${n}W` },
  // For trying a flow out: a delay of a few seconds.
  { value: 'seconds', label: 'seconds', iso: (n: number) => `PT${n}S` },
] as const;

const SECONDS: Record<string, number> = { weeks: 604_800, days: 86_400, hours: 3_600, minutes: 60, seconds: 1 };

/** An ISO duration as the largest whole unit: PT4H → 4 hours, P1D → 1 day, PT90M → 90 minutes. */
export function amountOf(iso: string | undefined): { amount: string; unit: string } {
  if (!iso) return { amount: '', unit: 'hours' };
  const d = Duration.fromISO(iso);
  if (!d.isValid) return { amount: iso, unit: 'hours' };
  const total = d.as('seconds');
  for (const unit of ['weeks', 'days', 'hours', 'minutes', 'seconds']) {
    const n = total / SECONDS[unit]!;
    if (Number.isInteger(n) && n > 0) return { amount: String(n), unit };
  }
  return { amount: String(total), unit: 'seconds' };
}

/** The ISO duration a number and unit make; what was typed goes through so validation can name it. */
export function isoOf(amount: unknown, unit: unknown): string | undefined {
  const a = typeof amount === 'string' ? amount.trim() : '';
  if (a === '') return undefined;
  const u = DURATION_UNITS.find((x) => x.value === unit) ?? DURATION_UNITS[1];
  return /^\d{1,6}$/.test(a) && Number(a) > 0 ? u.iso(Number(a)) : `invalid:${a}`;
}

/** "4 hours", "1 day": for the builder's step labels. */
export function humanDuration(iso: string): string {
  const { amount, unit } = amountOf(iso);
  return `${amount} ${amount === '1' ? unit.replace(/s$/, '') : unit}`;
}

export const WEEKDAYS = [
  { value: 'mon', label: 'Monday' }, { value: 'tue', label: 'Tuesday' }, { value: 'wed', label: 'Wednesday' }, { value: 'thu', label: 'Thursday' },
  { value: 'fri', label: 'Friday' }, { value: 'sat', label: 'Saturday' }, { value: 'sun', label: 'Sunday' },
];

export const OPERATORS = [
  { value: 'eq', label: 'is' }, { value: 'neq', label: 'is not' }, { value: 'gt', label: 'is more than' }, { value: 'gte', label: 'is at least' },
  { value: 'lt', label: 'is less than' }, { value: 'lte', label: 'is at most' }, { value: 'contains', label: 'contains' }, { value: 'exists', label: 'is set' },
];

const PLAIN: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/ISO 8601 duration|^invalid:/i, () => 'enter a whole number above 0 and choose a unit'],
  [/invalid uuid/i, () => 'choose one from the list'],
  [/must match pattern \/\^\(\[01\]\\d/i, () => 'choose a time of day, such as 09:00'],
  [/must start with profile\. or event\./, () => 'choose what to check from the list'],
  [/too small: expected number to be >=?(\S+)/i, (m) => `enter ${m[1]} or more`],
  [/too big: expected number to be <=?(\S+)/i, (m) => `enter ${m[1]} or less`],
  [/too small: expected string to have >=1/i, () => 'fill this in'],
  [/expected number, received/i, () => 'enter a number'],
  [/invalid option: expected one of/i, () => 'choose one of the options'],
];

/** The engine's message as a merchant instruction, where it speaks in schema terms. */
export function plainMessage(message: string): string {
  for (const [re, say] of PLAIN) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return message;
}
