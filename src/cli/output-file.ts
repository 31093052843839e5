/**
 * The `--output` file of a run, opened so that a run that fails keeps the
 * previous output byte for byte.
 *
 * A resumed run writes the output whole again, starting with the recorded
 * results, so the file is opened at once; the run can still be refused
 * later (a stdin item that changed, a journal record that does not decode,
 * an edited line of a grown input). Truncating in place would lose the
 * previous output, so an existing regular file is first renamed aside to
 * `<output>.<8 hex>.bak` and the new output is written to a new file at the
 * path, as it comes (it can be watched during the run). A run that ends
 * (completed, halted, interrupted) deletes the backup; a run that fails puts
 * it back over the partial file. A process killed outright (SIGKILL) leaves
 * the backup beside the partial output.
 *
 * Anything other than a regular file (a FIFO, a device) is written directly:
 * there is nothing there to keep, and a rename would not be ours to do. So is
 * a file with hard links (its other names must see the new output) and one
 * whose folder does not allow the rename; a run that fails there leaves its
 * partial output. The new file is this process's (its owner may change).
 */
import { createWriteStream, fchmodSync, realpathSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';

export class OutputFile {
  readonly stream: WriteStream;
  /** The previous output, renamed aside, and where it goes back. */
  #backup: { path: string; target: string } | undefined;
  readonly #onExit = () => this.commit();

  constructor(target: string) {
    // Through a symlink, the file it names is the output (as an open for writing would do).
    let real = target;
    try { real = realpathSync(target); } catch { /* not there yet */ }
    const st = statSync(real, { throwIfNoEntry: false });
    // A file with other names (hard links) is written in place: a rename would leave them the old text.
    if (st?.isFile() && st.nlink === 1) {
      const path = `${real}.${randomUUID().slice(0, 8)}.bak`;
      try {
        renameSync(real, path);
        this.#backup = { path, target: real };
        // An exit without `close` (a second Ctrl-C): the run was stopped, not refused, so its output stays.
        process.once('exit', this.#onExit);
      } catch {
        // A writable file in a folder that is not (EACCES): written in place, as before backups,
        // so a run that fails there leaves its partial output.
      }
    }
    this.stream = createWriteStream(real);
    if (this.#backup && st) {
      // The new file gets the old one's permissions, not the umask's.
      this.stream.once('open', (fd: number) => { try { fchmodSync(fd, st.mode & 0o7777); } catch { /* best effort */ } });
    }
  }

  /** The run ended: the new output stays, the previous one goes. */
  commit(): void {
    const b = this.#take();
    if (b) try { unlinkSync(b.path); } catch { /* gone already */ }
  }

  /** The run failed: the previous output goes back in place, byte for byte. */
  restore(): void {
    const b = this.#take();
    if (b) renameSync(b.path, b.target);
  }

  #take(): { path: string; target: string } | undefined {
    const b = this.#backup;
    this.#backup = undefined;
    process.off('exit', this.#onExit);
    return b;
  }
}
