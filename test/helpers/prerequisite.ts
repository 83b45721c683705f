// Tests that need a part of the machine (Chromium, Debian's cluster tools) and find it missing:
// on a laptop they skip and say why; under STOREFLOW_CI=1 nothing skips, so the missing part
// fails the run with its reason instead of passing it quietly.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/**
 * The `skip` option for the tests that need `part`: false when `missingReason` is false; else
 * the printed reason on a laptop, and in CI false plus a failing test that names what is missing.
 */
export function skipUnless(part: string, missingReason: string | false): string | false {
  if (!missingReason) return false;
  if (process.env.STOREFLOW_CI === '1') {
    test(`${part} is available`, () => assert.fail(`${missingReason}: CI must provide ${part}`));
    return false;
  }
  console.log(`# skipping the tests that need ${part}: ${missingReason}`);
  return missingReason;
}
