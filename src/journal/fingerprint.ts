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

/** The end of an object's tokens, waiting on feed's stack behind the object's parts. */
class Close {
  constructor(readonly text: string, readonly obj: object) {}
}

/**
 * Feeds the canonical form of `value`. Iterative, not recursive: an item
 * nested a few thousand deep (one JSON Lines line) overflowed the stack here
 * and ended the whole run before any item ran. The tokens, and so every hash
 * a journal holds, are those the recursive walk gave: parts are pushed last
 * first so they come out in order, and an object is in `seen` (a cycle hashes
 * as `C`) until its Close comes off the stack.
 */
function feed(h: TextHash, value: unknown, seen: Set<object>): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string': h.update(`s${v.length}:`); h.update(v); continue;
      case 'number': h.update(`n${Object.is(v, -0) ? '-0' : String(v)};`); continue;
      case 'bigint': h.update(`b${v};`); continue;
      case 'boolean': h.update(v ? 'T' : 'F'); continue;
      case 'undefined': h.update('U'); continue;
      case 'symbol': h.update(`y${String(v.description)};`); continue;
      case 'function': h.update(`f${v.name};`); continue;
    }
    if (v === null) { h.update('N'); continue; }
    if (v instanceof Close) { h.update(v.text); seen.delete(v.obj); continue; }
    const obj = v as object;
    if (seen.has(obj)) { h.update('C'); continue; }
    if (obj instanceof Date) { h.update(`d${obj.getTime()};`); continue; }
    if (obj instanceof Uint8Array) { h.update(`u${obj.byteLength}:`); h.update(obj); continue; }
    seen.add(obj);
    if (Array.isArray(obj)) {
      h.update(`a${obj.length}[`);
      stack.push(new Close(']', obj));
      for (let i = obj.length - 1; i >= 0; i--) stack.push(obj[i]);
    } else if (obj instanceof Map) {
      h.update(`m${obj.size}[`);
      stack.push(new Close(']', obj));
      const entries = [...obj];
      for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i][1], entries[i][0]);
    } else if (obj instanceof Set) {
      h.update(`e${obj.size}[`);
      stack.push(new Close(']', obj));
      const members = [...obj];
      for (let i = members.length - 1; i >= 0; i--) stack.push(members[i]);
    } else {
      const keys = Object.keys(obj).sort();
      h.update(`o${keys.length}{`);
      stack.push(new Close('}', obj));
      for (let i = keys.length - 1; i >= 0; i--) stack.push((obj as Record<string, unknown>)[keys[i]], keys[i]);
    }
  }
}
