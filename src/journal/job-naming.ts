/**
 * How the journal (journaled.ts) and `forkpool run` name an item's job,
 * passed to `pool.imapSettled` under a symbol: not a public option, and no
 * string key a caller could set by accident (the option check skips
 * symbols). A registered symbol, so every bundled copy of this module
 * agrees (the library's and the CLI's bundles each hold one).
 */
export const JOB_NAMING: unique symbol = Symbol.for('forkpool.jobNaming');

export interface JobNaming {
  /** The journal key of the item at this position of the input: it travels with each task (an engine may key its jobs with it). */
  keyOf?: (position: number) => string | undefined;
  /** The journal's run id (in its header, kept on resume): a distributed engine names the run's jobs with it. */
  run?: string;
  /**
   * The caller's index of the item at this position. On a resume the journal
   * gives the pool only the items it has no record of, so positions and
   * indices differ; error messages ("the item at index 77") name indices.
   */
  indexOf?: (position: number) => number | undefined;
  /**
   * Runs the item at this position already had (`forkpool run` feeding a failed
   * item again for a `--retry-on` kind the pool does not retry itself), so
   * `currentTask().attempt` counts them. Read for tasks of one item only.
   */
  attemptsBefore?: (position: number) => number;
}
