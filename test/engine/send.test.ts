/** How a batch of tasks for one worker is cut into messages (src/engine/send.ts), without processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameGroups } from '../../src/engine/send.ts';

const KB = 1024;
const task = (name: string, args: unknown[]) => ({ name, args, items: undefined });
const names = (groups: Array<Array<{ name: string }>>) => groups.map((g) => g.map((t) => t.name));

test('small tasks stay one message, whatever their number', () => {
  const batch = Array.from({ length: 500 }, (_, i) => task(`t${i}`, [i, 'short', { nested: 'x'.repeat(100 * KB) }]));
  // Only top-level strings and binary data are weighed: a nested value is not looked into.
  assert.deepEqual(frameGroups(batch).map((g) => g.length), [500]);
});

test('tasks with large strings or buffers go in messages of about 64 KB of arguments, a larger one alone, in order', () => {
  const batch = [
    task('a', ['x'.repeat(40 * KB)]),
    task('b', [new Uint8Array(20 * KB)]),
    task('c', ['y'.repeat(10 * KB)]),
    task('d', [new ArrayBuffer(100 * KB)]),
    task('e', [1, 2]),
    task('f', [Buffer.alloc(70 * KB)]),
  ];
  assert.deepEqual(names(frameGroups(batch)), [['a', 'b'], ['c'], ['d'], ['e'], ['f']]);
});

test('a chunk is weighed by its items', () => {
  const chunk = { name: 'chunk', args: undefined, items: Array.from({ length: 10 }, () => 'z'.repeat(10 * KB)) };
  assert.deepEqual(names(frameGroups([chunk, { ...chunk, name: 'chunk2' }])), [['chunk'], ['chunk2']]);
});
