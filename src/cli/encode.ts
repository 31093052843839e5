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

/**
 * A result as the journal can store it. The journal keeps values exactly
 * (tagged JSON) but cannot store an invalid Date; the CLI prints one as
 * `null` anyway, so it records `null` too and a resumed run prints the same.
 */
export function journalSafe(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  return hasInvalidDate(value, new Set()) ? replaceInvalidDates(value, new Set()) : value;
}

function hasInvalidDate(v: unknown, seen: Set<object>): boolean {
  if (v instanceof Date) return Number.isNaN(v.getTime());
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof Map) { for (const [k, x] of v) if (hasInvalidDate(k, seen) || hasInvalidDate(x, seen)) return true; return false; }
  if (v instanceof Set) { for (const x of v) if (hasInvalidDate(x, seen)) return true; return false; }
  for (const x of Object.values(v)) if (hasInvalidDate(x, seen)) return true;
  return false;
}

function replaceInvalidDates(v: unknown, seen: Set<object>): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || seen.has(v)) return v;
  seen.add(v);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [replaceInvalidDates(k, seen), replaceInvalidDates(x, seen)]));
  if (v instanceof Set) return new Set([...v].map((x) => replaceInvalidDates(x, seen)));
  if (Array.isArray(v)) return v.map((x) => replaceInvalidDates(x, seen));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = replaceInvalidDates(x, seen);
  return out;
}
