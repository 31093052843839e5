/**
 * The small files a worker process writes and the parent reads only after it
 * is gone: the running-task record and the item log (protocol/item-log.ts).
 * Each lives in /dev/shm (or the temp directory) and is unlinked as soon as it
 * is open, so nothing is left behind however either side ends.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ITEM_LOG_BASE, decodeItemLog, type LoggedItem } from '../protocol/item-log.js';

/** A new, already unlinked file open for reading and writing; undefined when none can be created. */
export function openWorkerFile(kind: string): number | undefined {
  const dir = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const path = join(dir, `forkpool-${kind}-${process.pid}-${randomUUID()}`);
  try {
    const fd = openSync(path, 'w+', 0o600);
    try { unlinkSync(path); } catch { /* still usable; the temp dir is cleaned eventually */ }
    return fd;
  } catch {
    return undefined;
  }
}

export function closeWorkerFile(fd: number | undefined): void {
  if (fd !== undefined) try { closeSync(fd); } catch { /* already closed */ }
}

/**
 * The item log of `fd`: the chunk it was last written for (a task id, low 32
 * bits) and that chunk's finished items; undefined when it holds none.
 */
export function readLoggedItems(fd: number | undefined): { id: number; items: LoggedItem[] } | undefined {
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size - ITEM_LOG_BASE;
    if (size <= 0) return undefined;
    const bytes = Buffer.allocUnsafe(size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, bytes, got, size - got, ITEM_LOG_BASE + got);
    return decodeItemLog(bytes.subarray(0, got));
  } catch {
    return undefined;
  }
}
