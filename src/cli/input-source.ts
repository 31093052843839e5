/**
 * What an input is to the runner (items, count, identity) and the shape its
 * records take; shared by input.ts and sources.ts.
 */
import { createHash } from 'node:crypto';
import type { RunConfig } from './args.js';

export interface InputSource {
  items: AsyncIterable<unknown>;
  /** Number of items when known before the run (a file), else undefined (stdin). */
  total: number | undefined;
  /** What identifies the input, for the journal header; undefined when it cannot be known up front. */
  identity: Record<string, unknown> | undefined;
  /** Name used in messages: the file name, `stdin` or `arguments`. */
  label: string;
  /** Files: whether a recorded identity is a prefix of this input (it only grew). */
  grewFrom?: (recorded: Record<string, unknown>) => Promise<boolean>;
  /** A stream read once (a pipe, FIFO or device): ends the reading on a stop, even an open() still waiting for a writer. */
  close?: () => void;
}

/** How records are read and shaped: the input options of RunConfig (`spread`: rows stay arrays of fields, in column order). */
export type Shape = Pick<RunConfig, 'format' | 'nul' | 'colsep' | 'header'> & Partial<Pick<RunConfig, 'spread'>>;

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
