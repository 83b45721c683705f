// What the email and SMS steps share: whether a message goes, is held, or is skipped (and why),
// asked afresh at each visit since the shopper, the item and the price may all have changed.
import { dropHolds } from '../price-drop-rule.ts';
import { allHold } from '../conditions.ts';
import { quietUntil } from '../flow-time.ts';
import { metricHolds, metricReason, metricSince } from './metric-window.ts';
import type { MessageStep, RunFacts, StepVisit, VisitResult } from './step-module.ts';

function noSendReason(step: MessageStep, f: RunFacts): string | null {
  if (step.type === 'email') {
    if (!f.profile.email) return 'no email address';
    if (f.profile.consent.email === 'unsubscribed') return 'no consent';
    return null;
  }
  if (!f.profile.phone) return 'no phone number';
  if (f.profile.consent.sms !== 'subscribed') return 'no consent';
  return null;
}

export function advanceMessage(step: MessageStep, v: StepVisit): VisitResult {
  const { out, run, facts, flow, now, visitKey } = v;
  const skip = (reason: string) => out.effects.push({ kind: 'skip', channel: step.type, stepId: step.id, dedupeKey: `flow:${visitKey}`, reason });
  // A split passed on "has not done X" is asked again: X may have arrived since (late or
  // out-of-order webhooks), and then this message must not go.
  const guards = v.rechecks();
  const changed = guards.find((c) => metricHolds(c, run, facts));
  if (changed) {
    const reason = metricReason(changed);
    skip(reason);
    v.log(step.id, `skipped: ${reason}`);
    out.stepCount++;
    v.end('exited', reason);
    return 'stop';
  }
  if (!allHold(flow.filters, v.cond)) {
    skip('no longer matches the flow filters');
    v.log(step.id, 'skipped: filters');
    out.stepCount++;
    v.end('exited', 'no longer matches the flow filters');
    return 'stop';
  }
  if (run.context.item) {
    const q = facts.itemQuantity;
    const { threshold, forecast } = run.context.item;
    const hours = facts.itemForecastHours;
    const reason =
      q === null || q === undefined || q <= 0 ? 'sold out'
      : threshold !== undefined && q > threshold ? 'restocked'
      : forecast && (hours === null || hours === undefined || hours > forecast.withinHours) ? 'no longer forecast to sell out'
      : null;
    if (reason) {
      skip(reason);
      v.goTo(step.id, step.next, `skipped: ${reason}`);
      return 'on';
    }
  }
  if (run.context.segmentId && facts.inSegment === false) {
    skip('left the segment');
    v.goTo(step.id, step.next, 'skipped: left the segment');
    return 'on';
  }
  if (run.context.date) {
    // The date is read again: a merge that found an earlier first order, or an edited birthday, moves it.
    const current = v.cond.profile[run.context.date.property];
    if (current === undefined || current === null || String(current) !== run.context.date.value) {
      skip('date changed');
      v.goTo(step.id, step.next, 'skipped: date changed');
      return 'on';
    }
  }
  if (run.context.priceDrop) {
    const d = run.context.priceDrop;
    const p = facts.itemPrice;
    const reason = p === null || p === undefined ? 'item removed' : dropHolds(d.seenPrice, p, d) ? null : 'price back up';
    if (reason) {
      skip(reason);
      v.goTo(step.id, step.next, `skipped: ${reason}`);
      return 'on';
    }
  }
  const noSend = noSendReason(step, facts);
  if (noSend) {
    skip(noSend);
    v.goTo(step.id, step.next, `skipped: ${noSend}`);
    return 'on';
  }
  const last = facts.lastMessaged[step.type];
  const windowMs = flow.smartSending.windowHours * 3_600_000;
  if (flow.smartSending.enabled && last && now.getTime() - last.getTime() < windowMs) {
    if (flow.smartSending.mode === 'hold') {
      v.hold(new Date(last.getTime() + windowMs));
      return 'stop';
    }
    skip('smart sending');
    v.goTo(step.id, step.next, 'skipped: smart sending');
    return 'on';
  }
  if (step.type === 'sms') {
    const until = quietUntil(now, flow.quietHours, facts.profile.timezone);
    if (until) {
      v.hold(until);
      return 'stop';
    }
  }
  const branches = Object.entries(out.context.branches);
  out.effects.push({
    kind: 'message',
    channel: step.type,
    stepId: step.id,
    dedupeKey: `flow:${visitKey}`,
    status: facts.flowStatus === 'manual' ? 'held' : 'queued',
    step,
    abBranch: branches.length ? branches.map(([s, b]) => `${s}:${b}`).join(',') : null,
    exitIf: guards.map((c) => ({ metric: c.metric, since: metricSince(c, run, now).toISOString(), atLeast: c.atLeast, reason: metricReason(c) })),
  });
  facts.lastMessaged[step.type] = now;
  v.goTo(step.id, step.next, facts.flowStatus === 'manual' ? 'held for review' : 'queued');
  return 'on';
}
