/**
 * GNU parallel's input sources on the command line:
 *
 *   forkpool run f.mjs ::: a b ::: 1 2       → [a,1] [a,2] [b,1] [b,2]   (cross product)
 *   forkpool run f.mjs ::: a b :::+ 1 2      → [a,1] [b,2]               (linked)
 *   forkpool run f.mjs :::: urls.txt         → one item per line of the file
 *
 * With one source an item is the value itself; with several, an array of
 * one value per source (the first source varies slowest, as in GNU
 * parallel). Linked sources of unequal length wrap around, as in GNU
 * parallel. With `--header`, the first value of each source names it and
 * items are objects. Source files are read whole: they are argument lists.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import type { SourceSpec } from './flags.js';
import { sha1, type InputSource, type Shape } from './input-source.js';

export function fromSources(specs: SourceSpec[], shape: Shape): InputSource {
  const lists = specs.map((s) => ({ linked: s.linked, values: s.kind === 'args' ? s.values : s.values.flatMap((f) => readList(f, shape.nul)) }));
  const names = shape.header ? lists.map((l) => l.values.shift()) : undefined;
  for (const [i, l] of lists.entries()) if (l.values.length === 0) throw new UsageError(`Input source ${i + 1} has no items${shape.header ? ' after its header' : ''}`);
  // Linked sources form one group, read in step; groups combine as a cross product.
  const groups: number[][] = [];
  lists.forEach((l, i) => (l.linked ? groups[groups.length - 1]!.push(i) : groups.push([i])));
  const sizes = groups.map((g) => Math.max(...g.map((i) => lists[i]!.values.length)));
  const total = sizes.reduce((a, b) => a * b, 1);

  function itemAt(n: number): unknown {
    const picked = new Array<string>(lists.length);
    for (let g = groups.length - 1; g >= 0; g--) {
      const row = n % sizes[g]!;
      n = Math.floor(n / sizes[g]!);
      for (const i of groups[g]!) picked[i] = lists[i]!.values[row % lists[i]!.values.length]!;
    }
    if (shape.spread) return picked; // --spread: one argument per source
    if (names) return Object.fromEntries(names.map((name, i) => [name!, picked[i]]));
    return picked.length === 1 ? picked[0] : picked;
  }

  async function* items(): AsyncGenerator<unknown> {
    for (let n = 0; n < total; n++) yield itemAt(n);
  }
  const digest = sha1(JSON.stringify(lists));
  return { items: items(), total, identity: { sources: lists.length, items: total, sha1: digest }, label: 'arguments' };
}

function readList(path: string, nul: boolean): string[] {
  let read: string;
  try {
    read = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`:::: ${path === '-' ? '- (stdin)' : JSON.stringify(path)}: cannot read it: ${code === 'EISDIR' ? 'it is a folder (EISDIR)' : code}`);
  }
  // Without a UTF-8 byte order mark, as records() reads files (input.ts).
  const text = read.charCodeAt(0) === 0xfeff ? read.slice(1) : read;
  return text.split(nul ? '\0' : /\r?\n/).filter((x) => x.trim() !== '');
}
