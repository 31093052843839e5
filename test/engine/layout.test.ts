/** The architecture stays as docs/architecture.md draws it (scripts/check-layout.mjs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain .mjs script without type declarations
import { checkLayout } from '../../scripts/check-layout.mjs';

test('src/ has no import cycle and no file over 400 lines', () => {
  const r = checkLayout() as { valueCycles: string[][]; typeCycles: string[][]; oversized: Array<[string, number]> };
  assert.deepEqual(r.valueCycles, [], 'import cycles');
  assert.deepEqual(r.typeCycles, [], 'cycles through type-only imports');
  assert.deepEqual(r.oversized, [], 'files over 400 lines');
});
