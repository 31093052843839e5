/**
 * Values as JSON for people and `jq` (docs/cli.md, "Values in JSON"). Plain
 * `JSON.stringify` turns a Map or a Set into `{}` and throws on a bigint;
 * here every value a task can return has a readable form:
 *
 * | value                          | JSON                                    |
 * | ------------------------------ | --------------------------------------- |
 * | `undefined`, NaN, ±Infinity    | `null`                                  |
 * | bigint                         | its digits as a string: `"12345678901234567890"` |
 * | Date                           | ISO string; an invalid Date is `null`   |
 * | Map                            | an object when every key is a string or number, else `[[key, value], ...]` |
 * | Set                            | an array                                |
 * | Buffer, Uint8Array             | base64 string                           |
 * | other typed arrays             | an array of numbers                     |
 * | Error                          | `{"name", "message", ...own fields}`    |
 * | a cycle                        | `"[Circular]"`                          |
 * | nested deeper than 3,000       | `"[Too deep]"`                          |
 */

export function toJsonText(value: unknown): string {
  return JSON.stringify(plain(value, new Set())) ?? 'null';
}

/**
 * Nesting kept in the JSON copy; a part below it is written as "[Too deep]".
 * V8 hands the main process values up to about 3,200 levels deep (its
 * serializer's limit), a Map of non-string keys doubles its levels as
 * `[[key, value]]`, and JSON.stringify, which the caller runs on the copy,
 * overflows the stack at about 4,100 levels: the bound keeps that call safe.
 */
export const MAX_JSON_DEPTH = 3000;
const TOO_DEEP = '[Too deep]';

/** Where a part's JSON copy goes: `into[key]`, at output nesting `depth`; or, with `leave`, the end of an object's walk. */
interface Job { v: unknown; into: Record<string | number, unknown>; key: string | number; depth: number; leave?: object }

/**
 * A JSON-safe copy of `value` (see the table above). Iterative, not
 * recursive: a task may return a value nested thousands deep, and a stack
 * overflow here once killed the run, and every resume of it. `seen` holds the
 * objects being copied (the ancestors), so a cycle is "[Circular]" while an
 * object met twice side by side is copied twice.
 */
export function plain(value: unknown, seen: Set<object> = new Set()): unknown {
  if (typeof value !== 'object' || value === null) return leaf(value);
  const root: unknown[] = [undefined];
  const jobs: Job[] = [{ v: value, into: root as unknown as Record<number, unknown>, key: 0, depth: 1 }];
  for (let job = jobs.pop(); job !== undefined; job = jobs.pop()) {
    if (job.leave) { seen.delete(job.leave); continue; }
    const v = job.v;
    if (typeof v !== 'object' || v === null) { job.into[job.key] = leaf(v); continue; }
    if (seen.has(v)) { job.into[job.key] = '[Circular]'; continue; }
    if (job.depth > MAX_JSON_DEPTH) { job.into[job.key] = TOO_DEEP; continue; }
    job.into[job.key] = container(v, job.depth, jobs, seen);
  }
  return root[0];
}

function leaf(value: unknown): unknown {
  switch (typeof value) {
    case 'number': return Number.isFinite(value) ? value : null;
    case 'bigint': return value.toString();
    case 'string': case 'boolean': return value;
    default: return null; // undefined, a function, a symbol, null
  }
}

/**
 * The copy of one object, its parts left as jobs. Parts are pushed last
 * first, so they are copied in order (a Map's later duplicate key wins, as
 * with Object.fromEntries); a placeholder keeps each key in its place.
 */
function container(obj: object, depth: number, jobs: Job[], seen: Set<object>): unknown {
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Uint8Array) return Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64');
  if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number | bigint>, leaf);
  if (obj instanceof ArrayBuffer) return Buffer.from(obj).toString('base64');
  seen.add(obj);
  jobs.push({ v: undefined, into: {}, key: 0, depth, leave: obj });
  const d = depth + 1;
  const parts = (entries: readonly unknown[]): unknown[] => {
    // Filled, not `new Array(n)`: JSON.stringify takes twice the stack per level of a holey array.
    const out: unknown[] = [];
    for (let i = 0; i < entries.length; i++) out.push(null);
    for (let i = entries.length - 1; i >= 0; i--) jobs.push({ v: entries[i], into: out as unknown as Record<number, unknown>, key: i, depth: d });
    return out;
  };
  if (Array.isArray(obj)) return parts(obj);
  if (obj instanceof Set) return parts([...obj]);
  if (obj instanceof Map) {
    const entries = [...obj];
    if (entries.every(([k]) => typeof k === 'string' || typeof k === 'number')) {
      const out: Record<string, unknown> = {};
      for (const [k] of entries) out[String(k)] = null;
      for (let i = entries.length - 1; i >= 0; i--) jobs.push({ v: entries[i][1], into: out, key: String(entries[i][0]), depth: d });
      return out;
    }
    // Each entry becomes a [key, value] pair: one level more, which must fit too.
    if (d > MAX_JSON_DEPTH) return TOO_DEEP;
    const out = entries.map(() => [null, null]);
    for (let i = entries.length - 1; i >= 0; i--) {
      const pair = out[i] as unknown as Record<number, unknown>;
      jobs.push({ v: entries[i][1], into: pair, key: 1, depth: d + 1 }, { v: entries[i][0], into: pair, key: 0, depth: d + 1 });
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  if (obj instanceof Error) { out.name = obj.name; out.message = obj.message; }
  const keys = Object.keys(obj);
  for (const key of keys) out[key] = null;
  for (let i = keys.length - 1; i >= 0; i--) jobs.push({ v: (obj as Record<string, unknown>)[keys[i]], into: out, key: keys[i], depth: d });
  return out;
}
