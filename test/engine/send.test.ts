/** How a batch of tasks for one worker is cut into messages (src/engine/send.ts), without processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameGroups } from '../../src/engine/send.ts';

const K = 1024;
const task = (name: string, args: unknown[]) => ({ name, args, items: undefined });
const names = (groups: Array<Array<{ name: string }>>) => groups.map((g) => g.map((t) => t.name));

test('small tasks stay one message, whatever their number; buffers and nested values are not weighed', () => {
  const batch = Array.from({ length: 500 }, (_, i) => task(`t${i}`, [i, 'short', { nested: 'x'.repeat(100 * K) }, new Uint8Array(100 * K)]));
  assert.deepEqual(frameGroups(batch).map((g) => g.length), [500]);
});

test('tasks with large strings go in messages of about 64 K characters, a larger one alone, in order', () => {
  const batch = [
    task('a', ['x'.repeat(40 * K)]),
    task('b', ['w'.repeat(20 * K), new Uint8Array(500 * K)]),
    task('c', ['y'.repeat(10 * K)]),
    task('d', ['v'.repeat(100 * K)]),
    task('e', [1, 2]),
    task('f', ['u'.repeat(70 * K)]),
  ];
  assert.deepEqual(names(frameGroups(batch)), [['a', 'b'], ['c'], ['d'], ['e'], ['f']]);
});

test('a chunk is weighed by its string items', () => {
  const chunk = { name: 'chunk', args: undefined, items: Array.from({ length: 10 }, () => 'z'.repeat(10 * K)) };
  assert.deepEqual(names(frameGroups([chunk, { ...chunk, name: 'chunk2' }])), [['chunk'], ['chunk2']]);
});
