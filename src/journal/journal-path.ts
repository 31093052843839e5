/**
 * A journal and its lock files must be regular files. Anything else at those
 * paths is refused before it is opened, locked or renamed over:
 *
 * - a FIFO blocks the open (and the thread doing it) until a writer comes,
 *   so the run hangs, and signals cannot end it cleanly;
 * - a device like /dev/zero never reads an end, so indexing it grows
 *   memory without bound; /dev/null reads empty, and the fresh journal
 *   would then be renamed over the device node, turning it into a file;
 * - a directory or a socket cannot be a journal either.
 *
 * Symlinks are followed: a link to a regular file is a journal like any other.
 */
import { readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NotAJournalError } from './errors.js';

/** What `st` is when it is not a regular file, for messages; undefined for a regular file. */
export function nonFileKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws NotAJournalError when something other than a regular file exists
 * at `path` (following symlinks); a path that does not exist is fine.
 * `role` says what the path was to be, for the message.
 */
export function refuseNonFile(path: string, role = 'a journal'): void {
  let st: Stats | undefined;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch { /* unreadable (EACCES, ELOOP): the open that follows reports it with its code */ }
  const kind = st && nonFileKind(st);
  if (kind) throw new NotAJournalError(path, kind, role);
}

/**
 * The file a journal path names, through symlinks (a dangling one too: it
 * names where the journal goes) and symlinked folders. Two runs given two
 * names of one journal must meet on one lock file and one rename target:
 * through a link they did not, and both ran (records lost, items run twice).
 */
export function resolveJournalPath(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    try { return realpathSync(p); } catch { /* missing: a dangling link, or not created yet */ }
    let target: string;
    try {
      target = readlinkSync(p);
    } catch {
      // Not a link: the file is to be created here, in its folder's real place.
      try { return join(realpathSync(dirname(p)), basename(p)); } catch { return p; }
    }
    p = resolve(dirname(p), target);
  }
  return p;
}
