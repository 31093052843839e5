/**
 * Tasks waiting for a worker, and the `maxQueue` bound on them (with waiters
 * for room). `size` counts live tasks only: a task settled while queued
 * (aborted, withdrawn) is taken out of the count at once and skipped later.
 *
 * Retries after a crash wait apart, in their own lane: each may only run on a
 * worker spawned after the crash, and one that died beside other tasks only
 * on an empty one. At the head of the one queue they held back every task
 * behind them from the live workers until such a worker came.
 */
import { Deque } from '../util/deque.js';
import type { Task } from './task.js';

export class TaskQueue {
  readonly #tasks = new Deque<Task>();
  /** Retries after a crash (`minWorkerId` set), oldest first; few at any time. */
  #retries: Task[] = [];
  #roomWaiters: Array<() => void> = [];
  #size = 0;

  constructor(private readonly maxQueue: number) {}

  /** Live tasks waiting (settled ones are not counted). */
  get size(): number {
    return this.#size;
  }

  get full(): boolean {
    return this.#size >= this.maxQueue;
  }

  /** Calls `admit` once there is room (it re-checks everything, so the pool may have closed meanwhile). */
  waitForRoom(admit: () => void): void {
    this.#roomWaiters.push(admit);
  }

  wakeRoomWaiters(): void {
    while (this.#roomWaiters.length && this.#size < this.maxQueue) this.#roomWaiters.shift()!();
  }

  add(task: Task, front: boolean): void {
    if (task.minWorkerId > 0) this.#retries.push(task);
    else if (front) this.#tasks.unshift(task);
    else this.#tasks.push(task);
    this.#size++;
  }

  /** The next live task, without taking it (settled ones at the head are dropped). */
  peek(): Task | undefined {
    for (let t = this.#tasks.peek(); t; t = this.#tasks.peek()) {
      if (!t.settled) return t;
      this.#tasks.shift();
    }
    return undefined;
  }

  /** Takes the task `peek()` returned. */
  take(): Task {
    this.#size--;
    return this.#tasks.shift()!;
  }

  /** Some retry waits in its lane (it may be settled already: `takeRetry` drops those). */
  get retrying(): boolean {
    return this.#retries.length > 0;
  }

  /** Takes the oldest live retry that `fits` (the worker at hand may run it). */
  takeRetry(fits: (t: Task) => boolean): Task | undefined {
    if (this.#retries.some((t) => t.settled)) this.#retries = this.#retries.filter((t) => !t.settled);
    const i = this.#retries.findIndex(fits);
    if (i < 0) return undefined;
    this.#size--;
    return this.#retries.splice(i, 1)[0];
  }

  /** A queued task was settled where it stands (abort, withdraw); it will be skipped. */
  forget(): void {
    this.#size--;
  }

  /** Removes every task (live or not) and returns the live ones. */
  drain(): Task[] {
    this.#size = 0;
    const retries = this.#retries;
    this.#retries = [];
    return [...retries, ...this.#tasks.drain()].filter((t) => !t.settled);
  }
}
