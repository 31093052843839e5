/**
 * Checks on the files a run reads and writes, done before any worker starts:
 * a read-only file system or a full disk is one clear line up front, not a
 * failure halfway through a long run.
 */
import { accessSync, constants, existsSync, statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';

/** What an errno code means, for one-line messages. */
const ERRNO_TEXT: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EFBIG: 'the file is too large',
  ENOENT: 'no such file or folder',
};

/** Errno codes that are about the machine or the user's files, never a bug of forkpool. */
export function isEnvironmentError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(ERRNO_TEXT, code) && typeof (err as { syscall?: unknown }).syscall === 'string';
}

/** "cannot write /x/out.jsonl: no space left on the device (ENOSPC)". */
export function describeEnvironmentError(err: NodeJS.ErrnoException): string {
  const writing = ['EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG'].includes(err.code!) || /^(write|writev|fsync|fdatasync|rename|mkdir)$/.test(err.syscall ?? '');
  const verb = writing ? 'cannot write' : err.syscall === 'read' ? 'cannot read' : err.syscall === 'open' ? 'cannot open' : 'cannot use';
  const where = err.path ? ` ${err.path}` : '';
  return `${verb}${where}: ${ERRNO_TEXT[err.code!]} (${err.code})`;
}

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
