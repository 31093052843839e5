/**
 * Checks on the files a run reads and writes, done before any worker starts:
 * a read-only file system or a full disk is one clear line up front, not a
 * failure halfway through a long run.
 */
import { accessSync, constants, existsSync, statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';
import { ERRNO_TEXT } from './errno.js';

export function checkReadable(flag: string, given: string, path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${flag}: no such file ${JSON.stringify(given)} (looked for ${path})` : `${flag}: cannot read ${JSON.stringify(given)}: ${code}`);
  }
  if (st.isDirectory()) throw new UsageError(`${flag}: ${JSON.stringify(given)} is a folder, not a file`);
}

/** True for a regular file or a path that does not exist yet (never a device, pipe or socket). */
export function isRegularOrNew(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true;
  }
}

/**
 * The file can be created or overwritten: its folder exists and is writable,
 * on a writable file system with free space. An existing device (`/dev/null`)
 * or pipe only has to be writable itself.
 */
export function checkWritable(flag: string, given: string, path: string): void {
  const dir = dirname(path);
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${flag}: ${JSON.stringify(given)} is a folder, not a file`);
    probe(flag, given, path);
    if (!st.isFile()) return;
  } else {
    if (!existsSync(dir)) throw new UsageError(`${flag}: the folder ${JSON.stringify(dir)} of ${JSON.stringify(given)} does not exist`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag}: ${JSON.stringify(dir)} is not a folder`);
    probe(flag, given, dir);
  }
  let full = false;
  try {
    // Pseudo file systems (proc, sysfs) report no blocks at all: only a real one with none left is full.
    const fs = statfsSync(dir);
    full = fs.blocks > 0 && fs.bavail === 0;
  } catch { /* not every file system answers; the write itself will tell */ }
  if (full) throw new UsageError(`${flag}: cannot write ${JSON.stringify(given)}: ${ERRNO_TEXT.ENOSPC} (ENOSPC)`);
}

function probe(flag: string, given: string, path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EACCES';
    throw new UsageError(`${flag}: cannot write ${JSON.stringify(given)}: ${ERRNO_TEXT[code] ?? code} (${code})`);
  }
}
