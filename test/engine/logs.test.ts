/** Worker output as whole, bounded lines, without processes (src/engine/logs.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineAssembler, MAX_LINE_CHARS, type LogLine } from '../../src/engine/logs.ts';

function collect(byTask = true): { lines: LogLine[]; asm: LineAssembler } {
  const lines: LogLine[] = [];
  return { lines, asm: new LineAssembler(1, 'stdout', (l) => lines.push(l), byTask) };
}

test('chunks are joined into whole lines, tagged with the task running when the line started (a process\'s own fd 1/2 writes)', () => {
  const { lines, asm } = collect(false);
  asm.push('hel', 7);
  asm.push('lo\nwor', 8);
  asm.push('ld\r\n', 9);
  assert.deepEqual(lines.map((l) => [l.text, l.taskId]), [['hello', 7], ['world', 8]]);
});

test('flush emits an unfinished line (the worker died mid-line)', () => {
  const { lines, asm } = collect();
  asm.push('partial', 1);
  asm.flush();
  assert.deepEqual(lines.map((l) => l.text), ['partial']);
});

test('a line longer than MAX_LINE_CHARS comes in marked pieces, and nothing is lost', () => {
  const { lines, asm } = collect();
  const total = MAX_LINE_CHARS * 3 + 5;
  for (let i = 0; i < total; i += 1000) asm.push('x'.repeat(Math.min(1000, total - i)), 1);
  asm.push('\n', 1);
  asm.push('next\n', 2);
  assert.ok(lines.every((l) => l.text.length <= MAX_LINE_CHARS));
  assert.equal(lines.filter((l) => l.cut).length, 3);
  assert.equal(lines.slice(0, 4).reduce((n, l) => n + l.text.length, 0), total);
  assert.equal(lines[4]!.text, 'next');
});

test('a line never mixes tasks: an unfinished line ends when its task ends or another task writes', () => {
  const { lines, asm } = collect();
  asm.push('first', 1);
  asm.taskEnded(2);
  assert.equal(lines.length, 0);
  asm.taskEnded(1);
  asm.push('second', 2);
  asm.push('third\n', 3);
  assert.deepEqual(lines.map((l) => [l.text, l.taskId]), [['first', 1], ['second', 2], ['third', 3]]);
});

test('the cut of a long line never splits a surrogate pair', () => {
  const { lines, asm } = collect();
  const text = 'a' + '😀'.repeat(MAX_LINE_CHARS);
  for (let i = 0; i < text.length; i += 999) asm.push(text.slice(i, i + 999), 1);
  asm.push('\n', 1);
  assert.ok(lines.length > 2);
  for (const l of lines) assert.ok(l.text.isWellFormed(), `a piece of ${l.text.length} chars has a lone surrogate`);
  assert.equal(lines.map((l) => l.text).join(''), text);
});
