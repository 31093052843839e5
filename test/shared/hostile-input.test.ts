// Names that exist on Object.prototype (`constructor`, `__proto__`, `toString`...)
// and malformed messages must fail one call cleanly, never the main process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager, Queue, Pipe } from '../../dist/shared/index.js';
import { encodeShared, decodeShared } from '../../dist/shared/codec.js';
import { hubReceive, hubPeerGone } from '../../dist/shared/link.js';
import { rebuildError } from '../../dist/shared/errors.js';
import { makePool, runtime } from './helpers.ts';

const STRANGE = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'];

test(`[${runtime}] a worker's proxy calling operations named constructor, __proto__, toString, valueOf or hasOwnProperty gets a clean error and the pool goes on`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const [end] = Pipe();
  const objects = [m.list(), m.dict(), m.value(1), m.lock(), m.rlock(), m.semaphore(), m.event(), m.barrier(2), m.condition(), new Queue(), end];
  const out = await pool.apply('strangeOps', [objects]) as string[];
  assert.equal(out.length, objects.length * STRANGE.length);
  for (const line of out) assert.match(line, /^ERR_FORKPOOL_INVALID_ARG: .* has no operation "/);
  assert.equal(await pool.apply('identity', [42]), 42, 'the worker and the main process are still fine');
  assert.equal(await m.list().length(), 0, 'the hub still answers');
});

test('raw hub messages with hostile ops, ids and kinds are answered with an error or dropped, and the hub keeps working', async () => {
  await using m = new Manager();
  const list = m.list<number>();
  const id = (encodeShared(list).value as { id: number }).id;
  type Answer = { k: string; r: unknown; e?: { code?: string; message: string }; v?: unknown; m?: Answer[] };
  const answers: Answer[] = [];
  // Answers of one turn leave together as a batch: unpack them.
  const peer = { id: 'w-hostile', send: (a: unknown) => { const x = a as Answer; answers.push(...(x.k === 'b' ? x.m! : [x])); } };
  for (const [r, op] of STRANGE.entries()) hubReceive(peer, { k: 'q', r, o: id, op, a: [] });
  hubReceive(peer, { k: 'q', r: 10, o: 'constructor', op: 'append', a: [] });
  hubReceive(peer, { k: 'q', r: 11, o: id, op: { toString: 5 }, a: [] });
  hubReceive(peer, { k: 'q', r: 12, o: id, op: 'append', a: 'not an array' });
  // Unanswerable or meaningless: dropped without a throw.
  for (const junk of [null, 'q', 7, { k: 'q', r: { toString: 5 }, o: id, op: 'append' }, { k: 'x', r: { toString: 5 } },
    { k: 'ack', d: 'constructor' }, { k: '__proto__' }, { k: 'constructor' },
    { k: 'te', q: 'x' }, { k: 'te', q: [null, [id], [id, 'x'], ['constructor', 1], [id, 3], [999_999, 1]] }]) {
    assert.doesNotThrow(() => hubReceive(peer, junk));
  }
  assert.doesNotThrow(() => hubReceive(peer, { k: 'b', m: [null, { k: 'b', m: [] }, 'x'] }), 'junk inside a batch is dropped too');
  await new Promise(setImmediate);
  const byR = new Map(answers.map((a) => [a.r, a]));
  for (let r = 0; r < STRANGE.length; r++) {
    assert.equal(byR.get(r)?.k, 'e');
    assert.equal(byR.get(r)?.e?.code, 'ERR_FORKPOOL_INVALID_ARG');
    assert.match(byR.get(r)!.e!.message, new RegExp(`SharedList #${id} has no operation "${STRANGE[r]}"`));
  }
  assert.equal(byR.get(10)?.e?.code, 'ERR_FORKPOOL_INVALID_ARG');
  assert.match(byR.get(11)!.e!.message, /Malformed hub request/);
  assert.deepEqual(byR.get(12), { k: 'r', r: 12, v: undefined }, 'arguments that are not an array count as none');
  assert.equal(answers.length, STRANGE.length + 3);
  hubPeerGone(peer, true);
  assert.deepEqual(await list.toArray(), [undefined]);
});

test('an error from the hub whose name or code is an Object.prototype member is rebuilt as a plain Error', () => {
  for (const name of STRANGE) {
    const err = rebuildError({ name, message: 'boom', code: name });
    assert.equal(err.constructor, Error);
    assert.equal(err.message, 'boom');
    assert.equal((err as Error & { code: string }).code, name);
  }
  const odd = rebuildError({ name: 'TypeError', message: { toString: 5 } as unknown as string, code: 42 as unknown as string });
  assert.ok(odd instanceof TypeError);
});

test('an object that only looks like a handle (kind constructor, __proto__, toString) is left as a plain object', async () => {
  await using m = new Manager();
  m.list(); // the codec only looks at values once shared objects exist
  for (const kind of ['constructor', '__proto__', 'toString', 'nope']) {
    const fake = { '@forkpool/shared': kind, id: 1 };
    assert.equal(decodeShared([fake])[0 as never], fake);
  }
});

test(`[${runtime}] a task result carrying look-alike handles next to a real shared object arrives whole, and the main process survives`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const list = m.list();
  const out = await pool.apply('lookalikeHandles', [list]) as { list: unknown; fakes: { '@forkpool/shared': string; id: number }[] };
  assert.equal(out.list, list, 'the real handle came back as the same object');
  assert.deepEqual(out.fakes.map((f) => f['@forkpool/shared']), ['constructor', '__proto__', 'toString', 'nope']);
});
