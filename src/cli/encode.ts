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
 */

export function toJsonText(value: unknown): string {
  return JSON.stringify(plain(value, new Set())) ?? 'null';
}

/** A JSON-safe copy of `value` (see the table above). */
export function plain(value: unknown, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'undefined': case 'function': case 'symbol': return null;
    case 'number': return Number.isFinite(value) ? value : null;
    case 'bigint': return value.toString();
    case 'string': case 'boolean': return value;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => plain(v, seen));
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (obj instanceof Map) {
      const keyed = [...obj.keys()].every((k) => typeof k === 'string' || typeof k === 'number');
      if (keyed) return Object.fromEntries([...obj].map(([k, v]) => [String(k), plain(v, seen)]));
      return [...obj].map(([k, v]) => [plain(k, seen), plain(v, seen)]);
    }
    if (obj instanceof Set) return [...obj].map((v) => plain(v, seen));
    if (obj instanceof Uint8Array) return Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64');
    if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number | bigint>, (x) => plain(x, seen));
    if (obj instanceof ArrayBuffer) return Buffer.from(obj).toString('base64');
    const out: Record<string, unknown> = {};
    if (obj instanceof Error) { out.name = obj.name; out.message = obj.message; }
    for (const key of Object.keys(obj)) out[key] = plain((obj as Record<string, unknown>)[key], seen);
    return out;
  } finally {
    seen.delete(obj);
  }
}

