/**
 * The runtime for a pool's `runtime` option: the supervisor asks once and
 * never branches on the runtime again.
 */
import type { Runtime } from '../options.js';
import { spawnProcessWorker } from './process.js';
import { spawnThreadWorker } from './thread.js';
import type { SpawnWorker } from './types.js';

export function spawnerFor(runtime: Runtime): SpawnWorker {
  return runtime === 'thread' ? spawnThreadWorker : spawnProcessWorker;
}
