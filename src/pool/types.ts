/**
 * Type helpers that make `Pool<typeof tasks>` check task names, arguments and
 * results against the worker module at compile time.
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

/** The one argument `map` passes to each call. */
export type FirstArg<M, K extends keyof M> = TaskArgs<M, K> extends [] ? undefined : TaskArgs<M, K>[0];
