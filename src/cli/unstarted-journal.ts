/**
 * A run that could not start (Redis unusable, an export the module lacks, a
 * module the workers cannot load) must not leave a journal it created: one
 * holding only its header made the plain rerun be refused ("exists from an
 * earlier run") although nothing had run. It is removed, so the rerun starts
 * afresh, as it does after a start-up failure caught before the journal is
 * opened (a missing module file).
 *
 * A journal that existed before the run (a --resume), or that holds a record
 * (an input line recorded as failed, an item that ran before Redis went
 * away), stays: it is what a resume continues.
 */
import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';

/** A header is one line of about 250 bytes; a file larger than this holds records, and is not read. */
const HEADER_ONLY_MAX_BYTES = 64 * 1024;

/** Whether `journal` already holds something (checked before the run opens it). */
export function journalExists(journal: string | undefined): boolean {
  return journal !== undefined && existsSync(journal) && statSync(journal).size > 0;
}

/** Removes the journal this run created when it holds no record; true when it did. Call once the journal is closed. */
export function dropUnstartedJournal(journal: string): boolean {
  try {
    // Another run took it since ours closed: its journal now, not ours.
    if (existsSync(`${journal}.lock`)) return false;
    if (statSync(journal).size > HEADER_ONLY_MAX_BYTES) return false;
    const text = readFileSync(journal, 'utf8');
    const firstEnd = text.indexOf('\n');
    if (firstEnd !== -1 && text.slice(firstEnd + 1).trim() !== '') return false;
    unlinkSync(journal);
    return true;
  } catch {
    // Gone already, or unreadable: nothing to clean, and the error the run ends with matters more.
    return false;
  }
}
