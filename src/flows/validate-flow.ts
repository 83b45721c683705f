// Checks a parsed definition as a graph: every edge lands on a step, no loop can spin without a
// wait, templates compile. Errors refuse the flow; warnings are shown to the merchant.
import { successors, isWaiting, type FlowDefinition, type Step } from './definition.ts';
import { STRICT_OUTBOUND, type OutboundRules } from '../security/outbound-url.ts';
import { stepModule } from './steps/registry.ts';

export type FlowIssue = { stepId: string | null; path: string; message: string };
export type FlowCheck = { errors: FlowIssue[]; warnings: FlowIssue[] };
export type TemplateCheck = (source: string) => { ok: true } | { ok: false; error: string };

export function validateFlow(def: FlowDefinition, checkTemplate: TemplateCheck, outbound: OutboundRules = STRICT_OUTBOUND): FlowCheck {
  const errors: FlowIssue[] = [];
  const warnings: FlowIssue[] = [];
  const byId = new Map<string, Step>();
  def.steps.forEach((step, i) => {
    if (byId.has(step.id)) errors.push({ stepId: step.id, path: `steps.${i}.id`, message: `step id "${step.id}" is used twice` });
    byId.set(step.id, step);
  });
  if (!byId.has(def.start)) errors.push({ stepId: null, path: 'start', message: `start names "${def.start}", which is not a step` });

  def.steps.forEach((step, i) => {
    for (const target of successors(step)) {
      if (!byId.has(target)) errors.push({ stepId: step.id, path: `steps.${i}`, message: `step "${step.id}" leads to "${target}", which is not a step` });
    }
    const needs = stepModule(step)?.needs;
    for (const [field, source] of needs?.templates?.(step) ?? []) {
      const r = checkTemplate(source);
      if (!r.ok) errors.push({ stepId: step.id, path: `steps.${i}.${field}`, message: `step "${step.id}" ${field}: ${r.error}` });
    }
    // Each type's own rules (a webhook URL must be public, a trigger split needs a metric trigger).
    for (const issue of needs?.check?.(step, def, outbound) ?? []) {
      errors.push({ stepId: step.id, path: issue.path ? `steps.${i}.${issue.path}` : `steps.${i}`, message: `step "${step.id}" ${issue.message}` });
    }
  });
  if (errors.length > 0) return { errors, warnings };

  // A cycle is allowed only through a delay or wait: otherwise one run would spin forever.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    const step = byId.get(id)!;
    for (const target of successors(step)) {
      if (state.get(target) === 'visiting') {
        const loop = stack.slice(stack.indexOf(target));
        if (!loop.some((s) => isWaiting(byId.get(s)!))) {
          errors.push({ stepId: target, path: 'steps', message: `steps ${loop.join(' → ')} → ${target} loop without a delay or wait` });
        }
      } else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(id, 'done');
  };
  visit(def.start);
  for (const step of def.steps) {
    if (!state.has(step.id)) warnings.push({ stepId: step.id, path: 'steps', message: `step "${step.id}" cannot be reached from the start` });
  }

  if (def.trigger.type === 'low-inventory' || def.trigger.type === 'sell-out-forecast' || def.trigger.type === 'price-drop') {
    // The item may be gone (or dear again) by the time a delayed message goes out (DESIGN §5).
    const kind = def.trigger.type;
    const change = kind === 'price-drop' ? 'the price go back up' : 'the item sell out';
    const messages = def.steps.filter((s) => stepModule(s)?.needs.channel);
    if (def.steps.some(isWaiting)) {
      warnings.push({ stepId: null, path: 'steps', message: `a ${kind} message should go right after the trigger; a delay lets ${change} first` });
    }
    if (messages.length > 1) warnings.push({ stepId: null, path: 'steps', message: `a ${kind} flow usually sends one message; several may reach a shopper after ${kind === 'price-drop' ? 'the sale ends' : 'the item is gone'}` });
  }
  return { errors, warnings };
}
