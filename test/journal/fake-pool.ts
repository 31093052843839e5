/**
 * A stand-in for the pool in the journal's unit tests: it applies a plain
 * function to each item and settles them out of order (a small window of
 * in-flight items finishing in reverse), which is what a real pool does and
 * what the journal's reordering has to undo. The real pool is exercised by
 * the CLI tests and fidelity.test.ts.
 */
import type { JournalPool, SettledItem } from '../../src/journal/journaled.ts';
import { JOB_NAMING } from '../../src/journal/job-naming.ts';

export class FakePool implements JournalPool {
  calls: unknown[] = [];
  /** The journal key the pool was told for each item it ran, by position. */
  keys: Array<string | undefined> = [];
  constructor(readonly fn: (item: unknown) => unknown, readonly window = 4) {}

  async *imapSettled(_name: string, items: AsyncIterable<unknown>, opts?: Parameters<JournalPool['imapSettled']>[2]): AsyncGenerator<SettledItem> {
    let index = 0;
    let batch: SettledItem[] = [];
    for await (const item of items) {
      this.keys.push(opts?.[JOB_NAMING]?.keyOf?.(index));
      batch.push(this.#run(item, index++));
      if (batch.length === this.window) {
        yield* batch.reverse();
        batch = [];
      }
    }
    yield* batch.reverse();
  }

  #run(item: unknown, index: number): SettledItem {
    this.calls.push(item);
    try {
      return { index, ok: true, value: this.fn(item), ms: 1, workerId: 1 };
    } catch (error) {
      return { index, ok: false, error: error as Error, ms: 1, workerId: 1 };
    }
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
