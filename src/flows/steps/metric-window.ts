// "Has done the metric at least N times since entry (the trigger event's time) or within a
// window": asked by a split, and again before each message for the splits a run passed on "no".
import type { FlowRun } from '../../model/flow.ts';
import { entryTime } from '../conditions.ts';
import { durationMs } from '../flow-time.ts';
import type { RunFacts } from './step-module.ts';

type MetricCondition = { metric: string; since: string; atLeast: number };

export const metricSince = (c: MetricCondition, run: FlowRun, now: Date): Date => (c.since === 'entry' ? entryTime(run) : new Date(now.getTime() - durationMs(c.since)));

export const metricReason = (c: MetricCondition): string => `${c.metric} since ${c.since}`;

export function metricHolds(c: MetricCondition, run: FlowRun, facts: RunFacts): boolean {
  return facts.metricCount(c.metric, metricSince(c, run, facts.now)) >= c.atLeast;
}
