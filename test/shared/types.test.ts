// The public generics reject wrong types at compile time (checked with tsc, once per suite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

test('typed Manager objects, Queue and Pipe reject wrong item types, keys and timeouts at compile time', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const file = fileURLToPath(new URL('../fixtures/shared/typed-usage.ts', import.meta.url));
  // Every @ts-expect-error must be used (an unused one fails), and nothing else may fail.
  const run = () => execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext',
    '--moduleResolution', 'NodeNext', '--lib', 'ES2023,ESNext.Disposable,ESNext.AsyncIterable', '--types', 'node', '--skipLibCheck', file],
  { encoding: 'utf8', stdio: 'pipe' });
  assert.doesNotThrow(run, (err: unknown) => { console.error((err as { stdout?: string }).stdout); return false; });
});
