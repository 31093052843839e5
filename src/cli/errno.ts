/**
 * Errno codes about the machine or the user's files (a full disk, a read-only
 * folder), described in one line: they are never a bug of forkpool.
 */
/** What an errno code means, for one-line messages. */
export const ERRNO_TEXT: Record<string, string> = {
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
