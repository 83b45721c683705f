// The flow's settings form (name, trigger, re-entry) and back, offering only the low-inventory
// choices the store's platform allows, and the price-drop choices (DESIGN §5's capability table, via the trigger policy).
import type { FlowDefinition } from '../flows/definition.ts';
import type { TriggerPolicy } from '../flows/flow-service.ts';
import type { FlowIssue } from '../flows/validate-flow.ts';

export type SettingsForm = Record<string, string | string[]>;

export const EXCLUSION_WINDOWS = [7, 14, 30, 60, 90] as const;

/** Who may hear of a price drop: viewers, carters and checkout starters. */
export const PRICE_DROP_METRICS = ['Viewed Product', 'Added to Cart', 'Started Checkout'] as const;

export function formOfSettings(def: FlowDefinition): SettingsForm {
  const t = def.trigger;
  return {
    name: def.name,
    trigger_type: t.type,
    metric: t.type === 'metric' ? t.metric : 'Started Checkout',
    list: t.type === 'list' ? t.list : '',
    segmentId: t.type === 'segment' ? t.segmentId : '',
    date_property: t.type === 'date' ? t.property : 'birthday',
    date_offset: t.type === 'date' ? String(t.offsetDays) : '0',
    date_at: t.type === 'date' ? t.at : '09:00',
    li_level: t.type === 'low-inventory' ? t.level : 'product',
    li_threshold: t.type === 'low-inventory' ? String(t.threshold) : '5',
    li_metrics: t.type === 'low-inventory' ? [...t.metrics] : ['Viewed Product'],
    li_lookback: t.type === 'low-inventory' ? String(t.lookbackDays) : '30',
    li_exclude: t.type === 'low-inventory' ? String(t.excludePurchasedWithinDays) : '30',
    pd_level: t.type === 'price-drop' ? t.level : 'product',
    pd_percent: t.type === 'price-drop' ? String(t.minPercent ?? '') : '10',
    pd_amount: t.type === 'price-drop' ? String(t.minAmount ?? '') : '',
    pd_metrics: t.type === 'price-drop' ? [...t.metrics] : [...PRICE_DROP_METRICS],
    pd_lookback: t.type === 'price-drop' ? String(t.lookbackDays) : '30',
    pd_exclude: t.type === 'price-drop' ? String(t.excludePurchasedWithinDays) : '30',
    reentry_mode: def.reentry.mode,
    reentry_after: def.reentry.after ?? '',
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
/** Numbers stay numbers when they are; anything else goes through so validation can name it. */
const number = (v: unknown) => (text(v) !== '' && Number.isFinite(Number(text(v))) ? Number(text(v)) : text(v));
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export function settingsOfForm(def: FlowDefinition, f: SettingsForm): unknown {
  const type = text(f.trigger_type);
  const trigger =
    type === 'metric' ? { type, metric: text(f.metric), where: def.trigger.type === 'metric' ? def.trigger.where : [] }
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
    : { type };
  const mode = text(f.reentry_mode);
  return { ...def, name: text(f.name), trigger, reentry: { mode, ...(mode === 'after' ? { after: text(f.reentry_after) } : {}) } };
}

const FIELDS: Array<[RegExp, string]> = [
  [/^name/, 'name'], [/^trigger\.metrics/, 'li_metrics'], [/^trigger\.metric/, 'metric'], [/^trigger\.list/, 'list'], [/^trigger\.segmentId/, 'segmentId'],
  [/^trigger\.property/, 'date_property'], [/^trigger\.offsetDays/, 'date_offset'], [/^trigger\.at/, 'date_at'], [/^trigger\.level/, 'li_level'],
  [/^trigger\.threshold/, 'li_threshold'], [/^trigger\.lookbackDays/, 'li_lookback'], [/^trigger\.excludePurchasedWithinDays/, 'li_exclude'],
  [/^trigger/, 'trigger_type'], [/^reentry/, 'reentry_after'],
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
    const hit = table.find(([re]) => re.test(i.path));
    if (hit) fields[hit[1]] ??= i.message;
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
