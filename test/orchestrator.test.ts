// The orchestrator on its own: pure, over an injected clock, no database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { advance, type RunFacts } from '../src/flows/orchestrator.ts';
import { FlowDefinition } from '../src/flows/definition.ts';
import type { FlowRun } from '../src/model/flow.ts';
import type { FlowId, FlowRunId, ProfileId, StoreId } from '../src/model/ids.ts';

const now = new Date('2026-06-01T10:00:00Z');

function runAt(step: string): FlowRun {
  return {
    id: randomUUID() as FlowRunId,
    storeId: randomUUID() as StoreId,
    flowId: randomUUID() as FlowId,
    version: 1,
    profileId: randomUUID() as ProfileId,
    key: 'k',
    status: 'active',
    currentStep: step,
    nextAt: now,
    stepCount: 0,
    enteredAt: now,
    triggerEvent: null,
    context: { branches: {} } as FlowRun['context'],
    waitMetric: null,
  };
}

const facts = (): RunFacts => ({
  now,
  flowStatus: 'live',
  storeActive: true,
  profile: { id: 'p', email: 'ada@example.com', phone: null, firstName: null, lastName: null, timezone: 'UTC', properties: {}, consent: { email: 'subscribed', sms: 'never_subscribed' } },
  lastMessaged: { email: null, sms: null },
  metricCount: () => 0,
});

test('a step type this version does not know ends the run with that reason, at once, instead of spinning through the step budget', () => {
  const def = FlowDefinition.parse({
    name: 'From a later version',
    status: 'live',
    trigger: { type: 'list', list: 'Newsletter' },
    reentry: { mode: 'once' },
    start: 's1',
    steps: [{ id: 's1', type: 'exit' }],
  });
  // A definition stored by a later version, read by this one: the type is not in the union.
  (def.steps[0] as { type: string }).type = 'teleport';
  const out = advance(runAt('s1'), def, facts());
  assert.equal(out.status, 'exited');
  assert.equal(out.endReason, 'step type teleport is not known to this version');
  assert.deepEqual(out.effects, []);
});
