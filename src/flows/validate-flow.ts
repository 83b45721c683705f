// Checks a parsed definition as a graph: every edge lands on a step, no loop can spin without a
// wait, templates compile. Errors refuse the flow; warnings are shown to the merchant.
import { successors, isWaiting, type FlowDefinition, type Step } from './definition.ts';
import { checkOutboundUrl, STRICT_OUTBOUND, type OutboundRules } from '../security/outbound-url.ts';

export type FlowIssue = { stepId: string | null; path: string; message: string };
export type FlowCheck = { errors: FlowIssue[]; warnings: FlowIssue[] };
export type TemplateCheck = (source: string) => { ok: true } | { ok: false; error: string };

function templatesOf(step: Step): Array<[string, string]> {
  if (step.type === 'email') return [['subject', step.subject], ['html', step.html]];
  if (step.type === 'sms') return [['text', step.text]];
  return [];
}

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
    for (const [field, source] of templatesOf(step)) {
      const r = checkTemplate(source);
      if (!r.ok) errors.push({ stepId: step.id, path: `steps.${i}.${field}`, message: `step "${step.id}" ${field}: ${r.error}` });
    }
    if (step.type === 'webhook') {
      // Checked again after DNS at call time; this catches what the URL itself gives away.
      const url = checkOutboundUrl(step.url, outbound);
      if (!url.ok) errors.push({ stepId: step.id, path: `steps.${i}.url`, message: `step "${step.id}" URL ${url.reason}; a webhook may only call a public host` });
    }
    if (step.type === 'trigger-split' && def.trigger.type !== 'metric') {
      errors.push({ stepId: step.id, path: `steps.${i}`, message: `step "${step.id}" splits on the trigger event, but a ${def.trigger.type} trigger has none` });
    }
    if (step.type === 'ab') {
      const total = step.branches.reduce((s, b) => s + b.weight, 0);
      if (Math.abs(total - 100) > 1e-9) errors.push({ stepId: step.id, path: `steps.${i}.branches`, message: `step "${step.id}" branch weights add up to ${total}, not 100` });
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

  if (def.trigger.type === 'low-inventory' || def.trigger.type === 'sell-out-forecast') {
    // The item may be gone by the time a delayed message goes out (DESIGN §5).
    const messages = def.steps.filter((s) => s.type === 'email' || s.type === 'sms');
    if (def.steps.some((s) => s.type === 'delay' || s.type === 'wait-for')) {
      warnings.push({ stepId: null, path: 'steps', message: 'a low-inventory message should go right after the trigger; a delay lets the item sell out first' });
    }
    if (messages.length > 1) warnings.push({ stepId: null, path: 'steps', message: 'a low-inventory flow usually sends one message; several may reach a shopper after the item is gone' });
  }
  return { errors, warnings };
}
