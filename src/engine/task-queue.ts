/**
 * Tasks waiting for a worker, and the `maxQueue` bound on them (with waiters
 * for room). `size` counts live tasks only: a task settled while queued
 * (aborted, withdrawn) is taken out of the count at once and skipped later.
 */
import { Deque } from '../util/deque.js';
import type { Task } from './task.js';

export class TaskQueue {
  readonly #tasks = new Deque<Task>();
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
    if (front) this.#tasks.unshift(task);
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

  /** A queued task was settled where it stands (abort, withdraw); it will be skipped. */
  forget(): void {
    this.#size--;
  }

  /** Removes every task (live or not) and returns the live ones. */
  drain(): Task[] {
    this.#size = 0;
    return this.#tasks.drain().filter((t) => !t.settled);
  }
}
