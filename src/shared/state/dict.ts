/** The state behind a SharedDict: a Map from string keys, changed only here. */
import { invalidArg } from '../../errors.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { checkEntry, checkKey, unknownOp } from '../options.js';

export class DictState implements HubObject {
  readonly label: string;
  #map: Map<string, unknown>;

  /** `entries`: initial contents, keys checked and values already copied (manager.dict(source)). */
  constructor(id: number, entries: Array<[string, unknown]> = []) {
    this.label = `SharedDict #${id}`;
    this.#map = new Map(entries);
  }

  call(op: string, a: unknown[], reply: Reply): void {
    const map = this.#map;
    const what = `${this.label}.${op}()`;
    switch (op) {
      case 'get': return reply.ok(map.get(checkKey(a[0], what)));
      case 'set': map.set(checkKey(a[0], what), a[1]); return reply.ok(undefined);
      case 'has': return reply.ok(map.has(checkKey(a[0], what)));
      case 'delete': return reply.ok(map.delete(checkKey(a[0], what)));
      case 'keys': return reply.ok([...map.keys()]);
      case 'values': return reply.ok([...map.values()]);
      case 'entries': return reply.ok([...map.entries()]);
      case 'size': return reply.ok(map.size);
      case 'toObject': return reply.ok(Object.fromEntries(map));
      case 'update': {
        const entries = a[0];
        if (!Array.isArray(entries)) throw invalidArg(TypeError, `${what} expects entries`);
        // Check every entry first so a bad one changes nothing: update is all or nothing.
        for (const e of entries) checkEntry(e, what);
        for (const [k, v] of entries as [string, unknown][]) map.set(k, v);
        return reply.ok(undefined);
      }
      case 'setDefault': {
        const k = checkKey(a[0], what);
        if (!map.has(k)) map.set(k, a[1]);
        return reply.ok(map.get(k));
      }
      default: unknownOp(this.label, op);
    }
  }

  peerGone(): void { /* a dict holds nothing on behalf of a worker */ }
  dispose(): void { this.#map.clear(); }
}
