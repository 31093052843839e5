/**
 * Results are stored in the journal as JSON so that a person can read them
 * and `jq` can parse them. Plain JSON would silently change some values on
 * the way back (undefined, NaN, bigint, Date, Map, Set, typed bytes), and a
 * resumed run must return what an uninterrupted run returns, so those few
 * travel as tagged objects: `{"$fp": "<type>", "v": ...}`. An object that
 * itself has a `$fp` key is wrapped too, so user data can never be mistaken
 * for a tag.
 */

const TAG = '$fp';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Converts a value to a JSON-safe tree. Functions and symbols become null, as in JSON. */
export function toJson(value: unknown, seen: Set<object> = new Set()): Json {
  switch (typeof value) {
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? { [TAG]: 'number', v: '-0' } : value;
      return { [TAG]: 'number', v: String(value) };
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() };
    case 'string':
    case 'boolean':
      return value;
    case 'function':
    case 'symbol':
      return null;
  }
  if (value === null) return null;
  const obj = value as object;
  // A cycle cannot be written as JSON; cutting it keeps the rest of the result.
  if (seen.has(obj)) return { [TAG]: 'cycle' };
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => toJson(v, seen));
    if (obj instanceof Date) return { [TAG]: 'Date', v: obj.toISOString() };
    if (obj instanceof Map) return { [TAG]: 'Map', v: [...obj].map(([k, v]) => [toJson(k, seen), toJson(v, seen)]) };
    if (obj instanceof Set) return { [TAG]: 'Set', v: [...obj].map((v) => toJson(v, seen)) };
    if (obj instanceof Uint8Array) return { [TAG]: 'bytes', v: Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64') };
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(obj)) out[key] = toJson((obj as Record<string, unknown>)[key], seen);
    return TAG in out ? { [TAG]: 'object', v: out } : out;
  } finally {
    seen.delete(obj);
  }
}

/** Inverse of `toJson`. */
export function fromJson(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(fromJson);
  const obj = json as Record<string, unknown>;
  const tag = obj[TAG];
  if (typeof tag !== 'string') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) out[key] = fromJson(obj[key]);
    return out;
  }
  const v = obj.v;
  switch (tag) {
    case 'undefined': return undefined;
    case 'number': return Number(v);
    case 'bigint': return BigInt(v as string);
    case 'Date': return new Date(v as string);
    case 'Map': return new Map((v as [unknown, unknown][]).map(([k, x]) => [fromJson(k), fromJson(x)]));
    case 'Set': return new Set((v as unknown[]).map(fromJson));
    case 'bytes': return new Uint8Array(Buffer.from(v as string, 'base64'));
    case 'cycle': return undefined;
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v as object)) out[key] = fromJson((v as Record<string, unknown>)[key]);
      return out;
    }
    default: return obj;
  }
}
