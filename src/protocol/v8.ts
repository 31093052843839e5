/**
 * `v8.serialize` and `v8.deserialize`, loaded on first use.
 *
 * Why: importing `node:v8` loads Node's whole stream stack with it (its heap
 * snapshot helpers need streams), about 4 ms of every worker's start-up
 * before a line of the worker runs. A worker's start-up messages (`init`,
 * `ready`, `go`) and a single call's `run` and result have forms read without
 * V8 (compact.ts, compact-json.ts), so a worker that only runs such calls
 * loads it late or never. `process.getBuiltinModule` is synchronous, so the
 * first caller gets it at once.
 */
type V8 = typeof import('node:v8');

let v8: V8 | undefined;

const load = (): V8 => (v8 ??= process.getBuiltinModule('node:v8') as V8);

export function serialize(value: unknown): Buffer {
  return load().serialize(value);
}

export function deserialize(buffer: Buffer | NodeJS.TypedArray): unknown {
  return load().deserialize(buffer);
}
