/**
 * Item hashes: the default journal key is `<index>:<hash>`, and the journal
 * header stores a digest of the whole input when it is known up front, so a
 * rerun notices a changed input instead of returning stale results.
 *
 * The hash is over a canonical form (object keys sorted, types tagged), so
 * `{a:1,b:2}` and `{b:2,a:1}` hash alike while `1` and `"1"` do not.
 */
import { createHash, hash as hashOnce, type Hash } from 'node:crypto';

/**
 * Collects the canonical form's text and hashes it in one update: a call into
 * the hash per token cost more than the hashing (a journaled map hashed each
 * item in 5–10 µs). Bytes (a Uint8Array) go straight to the hash after the
 * text so far, so the digest is exactly that of one update per token. Text
 * tokens are always separated by ASCII tags, so joining them never pairs two
 * lone surrogates into one character.
 */
class TextHash {
  #parts: string[] = [];
  #hash: Hash | undefined;

  update(x: string | Uint8Array): void {
    if (typeof x === 'string') { this.#parts.push(x); return; }
    this.#hash ??= createHash('sha1');
    if (this.#parts.length) { this.#hash.update(this.#parts.join('')); this.#parts = []; }
    this.#hash.update(x);
  }

  digest(): string {
    // Text only (the usual case): one call, no Hash object (its creation cost more than the hashing).
    if (!this.#hash) return hashOnce('sha1', this.#parts.join(''), 'hex');
    const h = this.#hash;
    if (this.#parts.length) h.update(this.#parts.join(''));
    return h.digest('hex');
  }
}

/** 12 hex digits (48 bits): collisions among a few million items of one index are not a concern. */
const HASH_HEX_LENGTH = 12;

export function itemHash(item: unknown): string {
  // The commonest item, a line of text, is its own canonical form behind a tag (see feed).
  if (typeof item === 'string') return hashOnce('sha1', `s${item.length}:${item}`, 'hex').slice(0, HASH_HEX_LENGTH);
  const h = new TextHash();
  feed(h, item, new Set());
  return h.digest().slice(0, HASH_HEX_LENGTH);
}

/** Digest of a whole in-memory input, for the journal header; `hashes` gets each item's hash, for reuse. */
export function inputDigest(items: readonly unknown[], hashes?: string[]): { count: number; sha1: string } {
  const h = createHash('sha1');
  for (const item of items) {
    const one = itemHash(item);
    hashes?.push(one);
    h.update(one);
  }
  return { count: items.length, sha1: h.digest('hex') };
}

function feed(h: TextHash, v: unknown, seen: Set<object>): void {
  switch (typeof v) {
    case 'string': h.update(`s${v.length}:`); h.update(v); return;
    case 'number': h.update(`n${Object.is(v, -0) ? '-0' : String(v)};`); return;
    case 'bigint': h.update(`b${v};`); return;
    case 'boolean': h.update(v ? 'T' : 'F'); return;
    case 'undefined': h.update('U'); return;
    case 'symbol': h.update(`y${String(v.description)};`); return;
    case 'function': h.update(`f${v.name};`); return;
  }
  if (v === null) { h.update('N'); return; }
  const obj = v as object;
  if (seen.has(obj)) { h.update('C'); return; }
  seen.add(obj);
  if (Array.isArray(obj)) {
    h.update(`a${obj.length}[`);
    for (const x of obj) feed(h, x, seen);
    h.update(']');
  } else if (obj instanceof Date) {
    h.update(`d${obj.getTime()};`);
  } else if (obj instanceof Uint8Array) {
    h.update(`u${obj.byteLength}:`); h.update(obj);
  } else if (obj instanceof Map) {
    h.update(`m${obj.size}[`);
    for (const [k, x] of obj) { feed(h, k, seen); feed(h, x, seen); }
    h.update(']');
  } else if (obj instanceof Set) {
    h.update(`e${obj.size}[`);
    for (const x of obj) feed(h, x, seen);
    h.update(']');
  } else {
    const keys = Object.keys(obj).sort();
    h.update(`o${keys.length}{`);
    for (const k of keys) { feed(h, k, seen); feed(h, (obj as Record<string, unknown>)[k], seen); }
    h.update('}');
  }
  seen.delete(obj);
}
