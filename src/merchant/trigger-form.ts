// The flow's settings form (name, trigger, filters, re-entry, smart sending, quiet hours,
// attribution) and back, offering only the low-inventory choices the store's platform allows,
// and the price-drop choices (DESIGN §5's capability table, via the trigger policy).
import type { FlowDefinition } from '../flows/definition.ts';
import type { TriggerPolicy } from '../flows/flow-service.ts';
import type { FlowIssue } from '../flows/validate-flow.ts';
import { amountOf, isoOf, plainMessage } from './form-units.ts';
import { conditionField, conditionsOf, rowsOf } from './condition-form.ts';

export type SettingsForm = Record<string, string | string[]>;

export const EXCLUSION_WINDOWS = [7, 14, 30, 60, 90] as const;

/** Who may hear of a price drop: viewers, carters and checkout starters. */
export const PRICE_DROP_METRICS = ['Viewed Product', 'Added to Cart', 'Started Checkout'] as const;

export function formOfSettings(def: FlowDefinition): SettingsForm {
  const t = def.trigger;
  const reentryAfter = def.reentry.after ? amountOf(def.reentry.after) : { amount: '1', unit: 'days' };
  const stock = t.type === 'low-inventory' || t.type === 'sell-out-forecast' ? t : undefined;
  return {
    name: def.name,
    trigger_type: t.type,
    metric: t.type === 'metric' ? t.metric : 'Started Checkout',
    list: t.type === 'list' ? t.list : '',
    segmentId: t.type === 'segment' ? t.segmentId : '',
    date_property: t.type === 'date' ? t.property : 'birthday',
    date_offset: t.type === 'date' ? String(t.offsetDays) : '0',
    date_at: t.type === 'date' ? t.at : '09:00',
    // The sell-out forecast shares the low-inventory fields (level, metrics, windows).
    li_level: stock ? stock.level : 'product',
    li_threshold: t.type === 'low-inventory' ? String(t.threshold) : '5',
    li_metrics: stock ? [...stock.metrics] : ['Viewed Product'],
    li_lookback: stock ? String(stock.lookbackDays) : '30',
    li_exclude: stock ? String(stock.excludePurchasedWithinDays) : '30',
    so_hours: t.type === 'sell-out-forecast' ? String(t.withinHours) : '48',
    pd_level: t.type === 'price-drop' ? t.level : 'product',
    pd_percent: t.type === 'price-drop' ? String(t.minPercent ?? '') : '10',
    pd_amount: t.type === 'price-drop' ? String(t.minAmount ?? '') : '',
    pd_metrics: t.type === 'price-drop' ? [...t.metrics] : [...PRICE_DROP_METRICS],
    pd_lookback: t.type === 'price-drop' ? String(t.lookbackDays) : '30',
    pd_exclude: t.type === 'price-drop' ? String(t.excludePurchasedWithinDays) : '30',
    bis_minimum: t.type === 'back-in-stock' ? String(t.minimum) : '1',
    bis_per_unit: t.type === 'back-in-stock' ? String(t.perUnit) : '1',
    ...recountFields(t.type === 'back-in-stock' ? t.recountMinutes : 60),
    reentry_mode: def.reentry.mode,
    reentry_after_amount: reentryAfter.amount,
    reentry_after_unit: reentryAfter.unit,
    ...rowsOf('filter', def.filters, 2),
    ...rowsOf('where', t.type === 'metric' ? t.where : [], 1),
    smart_enabled: def.smartSending.enabled ? 'on' : '',
    smart_hours: String(def.smartSending.windowHours),
    smart_mode: def.smartSending.mode,
    quiet_start: def.quietHours.start,
    quiet_end: def.quietHours.end,
    attribution_days: String(def.attributionDays),
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
/** Numbers stay numbers when they are; anything else goes through so validation can name it. */
const number = (v: unknown) => (text(v) !== '' && Number.isFinite(Number(text(v))) ? Number(text(v)) : text(v));
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export function settingsOfForm(def: FlowDefinition, f: SettingsForm): unknown {
  const type = text(f.trigger_type);
  const trigger =
    type === 'metric' ? { type, metric: text(f.metric), where: conditionsOf('where', f, 'event') }
    : type === 'list' ? { type, list: text(f.list) }
    : type === 'segment' ? { type, segmentId: text(f.segmentId) }
    : type === 'date' ? { type, property: text(f.date_property), offsetDays: number(f.date_offset), at: text(f.date_at) }
    : type === 'low-inventory' ? { type, level: text(f.li_level), threshold: number(f.li_threshold), metrics: list(f.li_metrics), lookbackDays: number(f.li_lookback), excludePurchasedWithinDays: number(f.li_exclude) }
    : type === 'price-drop' ? {
        type, level: text(f.pd_level), metrics: list(f.pd_metrics), lookbackDays: number(f.pd_lookback), excludePurchasedWithinDays: number(f.pd_exclude),
        // An empty box means "no such minimum", not a bad number.
        ...(text(f.pd_percent) ? { minPercent: number(f.pd_percent) } : {}),
        ...(text(f.pd_amount) ? { minAmount: number(f.pd_amount) } : {}),
      }
    : type === 'back-in-stock' ? { type, minimum: number(f.bis_minimum), perUnit: number(f.bis_per_unit), recountMinutes: minutesOf(f.bis_recount_amount, f.bis_recount_unit) }
    : type === 'sell-out-forecast' ? { type, level: text(f.li_level), withinHours: number(f.so_hours), velocityDays: def.trigger.type === 'sell-out-forecast' ? def.trigger.velocityDays : 7, metrics: list(f.li_metrics), lookbackDays: number(f.li_lookback), excludePurchasedWithinDays: number(f.li_exclude) }
    : { type };
  const mode = text(f.reentry_mode);
  return {
    ...def,
    name: text(f.name),
    trigger,
    reentry: { mode, ...(mode === 'after' ? { after: isoOf(f.reentry_after_amount, f.reentry_after_unit) } : {}) },
    filters: conditionsOf('filter', f),
    smartSending: { enabled: text(f.smart_enabled) === 'on', windowHours: number(f.smart_hours), mode: text(f.smart_mode) },
    quietHours: { start: text(f.quiet_start), end: text(f.quiet_end) },
    attributionDays: number(f.attribution_days),
  };
}

/** The recount interval in the largest whole unit: 120 minutes shows as 2 hours. */
function recountFields(minutes: number): { bis_recount_amount: string; bis_recount_unit: string } {
  if (minutes % 1440 === 0) return { bis_recount_amount: String(minutes / 1440), bis_recount_unit: 'days' };
  if (minutes % 60 === 0) return { bis_recount_amount: String(minutes / 60), bis_recount_unit: 'hours' };
  return { bis_recount_amount: String(minutes), bis_recount_unit: 'minutes' };
}

const MINUTES: Record<string, number> = { minutes: 1, hours: 60, days: 1440 };

/** Minutes from a number and unit; what was typed goes through so validation can name it. */
function minutesOf(amount: unknown, unit: unknown): unknown {
  const a = text(amount);
  return /^\d{1,6}$/.test(a) ? Number(a) * (MINUTES[text(unit)] ?? 1) : a;
}

const FIELDS: Array<[RegExp, string]> = [
  [/^name/, 'name'], [/^trigger\.metrics/, 'li_metrics'], [/^trigger\.metric/, 'metric'], [/^trigger\.list/, 'list'], [/^trigger\.segmentId/, 'segmentId'],
  [/^trigger\.property/, 'date_property'], [/^trigger\.offsetDays/, 'date_offset'], [/^trigger\.at/, 'date_at'], [/^trigger\.level/, 'li_level'],
  [/^trigger\.minimum/, 'bis_minimum'], [/^trigger\.perUnit/, 'bis_per_unit'], [/^trigger\.recountMinutes/, 'bis_recount_amount'],
  [/^trigger\.threshold/, 'li_threshold'], [/^trigger\.withinHours/, 'so_hours'], [/^trigger\.lookbackDays/, 'li_lookback'], [/^trigger\.excludePurchasedWithinDays/, 'li_exclude'],
  [/^trigger/, 'trigger_type'], [/^reentry/, 'reentry_after_amount'],
  [/^smartSending\.windowHours/, 'smart_hours'], [/^smartSending\.mode/, 'smart_mode'], [/^smartSending/, 'smart_hours'],
  [/^quietHours\.start/, 'quiet_start'], [/^quietHours\.end/, 'quiet_end'], [/^quietHours/, 'quiet_start'], [/^attributionDays/, 'attribution_days'],
];

/** A price-drop trigger shares paths with low inventory; its own fields are named first. */
const PRICE_DROP_FIELDS: Array<[RegExp, string]> = [
  [/^trigger\.metrics/, 'pd_metrics'], [/^trigger\.level/, 'pd_level'], [/^trigger\.minPercent/, 'pd_percent'], [/^trigger\.minAmount/, 'pd_amount'],
  [/^trigger\.lookbackDays/, 'pd_lookback'], [/^trigger\.excludePurchasedWithinDays/, 'pd_exclude'],
];

export function settingsErrors(issues: FlowIssue[], triggerType?: string): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  const table = triggerType === 'price-drop' ? [...PRICE_DROP_FIELDS, ...FIELDS] : FIELDS;
  for (const i of issues) {
    const filter = /^filters\.?(.*)$/.exec(i.path);
    const where = /^trigger\.where\.?(.*)$/.exec(i.path);
    const hit = table.find(([re]) => re.test(i.path));
    const field = filter ? conditionField('filter', filter[1]!) : where ? conditionField('where', where[1]!) : hit?.[1];
    if (field) fields[field] ??= plainMessage(i.message);
    else other.push(i.stepId && !i.stepId.startsWith('#') ? `Step “${i.stepId}”: ${i.message}` : i.message);
  }
  return { fields, other };
}

/** What the low-inventory part of the form may offer: levels, and per level the metrics. */
export function lowInventoryChoices(policy: TriggerPolicy): { blocked: string | null; levels: Array<{ level: string; metrics: string[] }> } {
  const levels = new Map<string, Set<string>>();
  for (const row of policy.lowInventory) {
    const set = levels.get(row.level) ?? new Set<string>();
    for (const m of row.metrics) set.add(m);
    levels.set(row.level, set);
  }
  return { blocked: policy.blocked ?? null, levels: [...levels].map(([level, metrics]) => ({ level, metrics: [...metrics] })) };
}
