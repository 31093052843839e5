/**
 * Type helpers that make `Pool<typeof tasks>` check task names, arguments and
 * results against the worker module at compile time.
 *
 * The pool's methods constrain a name as `K extends TaskName<M> & {}`: the
 * `& {}` makes TypeScript print the expanded union in an error ("not
 * assignable to '"double" | "add" | …'"), so a misspelled name shows the
 * valid ones, rather than the alias `TaskName<typeof import(…)>`.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** The default module shape: any name, any arguments. */
export type AnyModule = Record<string, AnyFn>;

/** Names of the module's exported functions. */
export type TaskName<M> = { [K in keyof M]-?: M[K] extends AnyFn ? K : never }[keyof M] & string;

/** Parameter list of a task. */
export type TaskArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never;

/** What awaiting a task gives. */
export type TaskResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? Awaited<R> : never;

/**
 * The message a `map`-family call shows when the task needs more than one
 * argument: a string literal no item can match, so the compiler prints it.
 */
export type NeedsStarmap<K> = `${K & string}() needs more than one argument: call starmap('${K & string}', [[a, b], …]) instead`;

/**
 * The one argument `map`, `imap` and `imapSettled` pass to each call:
 * the first parameter, when every further parameter is optional (or a rest
 * parameter); `undefined` for a task without parameters; else `NeedsStarmap`.
 */
export type MapItem<M, K extends keyof M> =
  TaskArgs<M, K> extends [] ? undefined
    : TaskArgs<M, K> extends [unknown, ...infer Rest] ? ([] extends Rest ? TaskArgs<M, K>[0] : NeedsStarmap<K>)
      : TaskArgs<M, K>[0];

/** @deprecated Use `MapItem`, which also rejects tasks that need more than one argument. */
export type FirstArg<M, K extends keyof M> = MapItem<M, K>;
