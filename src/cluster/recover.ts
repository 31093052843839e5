/**
 * The recovery sweep, run by every node every SWEEP_MS: active jobs whose
 * node is gone go back to `wait` at once, where an idle node takes them.
 *
 * BullMQ's own stalled check needs two passes (mark every active job, then
 * move those still without a lock a whole `stalledInterval` later), which
 * adds up to 2 × stalledInterval to a dead node's recovery. This sweep needs
 * one: a job is lost when its lock key has expired, or when the node that
 * took it (`pb`, BullMQ's worker name = our node id) has no heartbeat key any
 * more — the second case matters when `lockDuration` is longer than the
 * heartbeat TTL. BullMQ's check stays on as a backstop; both are safe
 * together because each moves a job only if LREM still finds it in `active`.
 *
 * A heartbeat is also gone when Redis lost it (FLUSHALL, a restart without
 * persistence) while its node lives on: until each live node writes its own
 * again, a job it took meanwhile would be taken from it, run twice, and its
 * completion refused ("Missing lock"). So the sweeping node first writes its
 * own heartbeat the way a beat does (registry.ts): found gone, that sets the
 * wipe marker, and while the marker lives (every live node writes its
 * heartbeat again within it) only an expired lock makes a job lost.
 *
 * The script lives here as a string, not as a `.lua` file, because the build
 * (tsc) copies no other files into dist/.
 */
import type { RedisClient } from './connect.js';
import { BEAT_LUA, beatArgs } from './registry.js';
import { PREFIX, nodeKey, type Heartbeat } from './settings.js';

/** Reason BullMQ gives a job stalled more than `maxStalledCount` times; the client matches it to resubmit one item per job. */
export const STALLED_REASON = 'job stalled more than allowable limit';

const RECOVER_LUA = `
--[[
  Moves back to wait the active jobs whose lock expired or whose node has no heartbeat.
  KEYS[1] active (LIST)   KEYS[2] wait (LIST)   KEYS[3] meta (HASH)
  KEYS[4] marker (ZSET)   KEYS[5] sweep-check (KEY)
  KEYS[6..8], ARGV[6..10]: the sweeping node's heartbeat, as BEAT_LUA takes them (KEYS[8] the wipe marker)
  ARGV[1] job key prefix ('forkpool:<queue>:')
  ARGV[2] heartbeat key prefix ('forkpool:<name>:node:')
  ARGV[3] maxStalledCount
  ARGV[4] sweep period (ms): one sweep per period for the whole queue
  ARGV[5] reason set on a job stalled more than maxStalledCount times
  Returns: the ids of the jobs moved back.
]]
local rcall = redis.call
local function beat(KEYS, ARGV) ${BEAT_LUA} end
beat({ KEYS[6], KEYS[7], KEYS[8] }, { ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10] })
if not rcall('SET', KEYS[5], '1', 'PX', ARGV[4], 'NX') then return {} end
local heartbeatsKnown = rcall('EXISTS', KEYS[8]) == 0
local moved = {}
for _, id in ipairs(rcall('LRANGE', KEYS[1], 0, -1)) do
  local jobKey = ARGV[1] .. id
  local lost = rcall('EXISTS', jobKey .. ':lock') == 0
  if not lost and heartbeatsKnown then
    local node = rcall('HGET', jobKey, 'pb')
    if node and rcall('EXISTS', ARGV[2] .. node) == 0 then lost = true end
  end
  if lost and rcall('LREM', KEYS[1], 1, id) > 0 then
    -- The late completion of the node that lost it is refused: the lock is no longer its.
    rcall('DEL', jobKey .. ':lock')
    if rcall('HINCRBY', jobKey, 'stc', 1) > tonumber(ARGV[3]) then
      -- Failed by the next node that takes it (BullMQ's deferred failure), as BullMQ's own check does.
      rcall('HSET', jobKey, 'defa', ARGV[5])
    end
    rcall('RPUSH', KEYS[2], id)
    local meta = rcall('HMGET', KEYS[3], 'paused', 'concurrency')
    local maxed = meta[2] and rcall('LLEN', KEYS[1]) >= tonumber(meta[2])
    if not meta[1] and not maxed then rcall('ZADD', KEYS[4], 0, '0') end
    moved[#moved + 1] = id
  end
end
return moved
`;

export interface SweepTarget {
  /** BullMQ queue name (`<queue>.<version>`). */
  queueName: string;
  /** The pool's queue name, where heartbeats live. */
  queue: string;
  maxStalledCount: number;
  periodMs: number;
  /** The sweeping node's own heartbeat, written back first if Redis lost it. */
  heartbeat: Heartbeat;
}

/** One sweep; returns the ids of the jobs moved back (empty when another node swept this period). */
export async function sweep(client: RedisClient, t: SweepTarget): Promise<string[]> {
  const base = `${PREFIX}:${t.queueName}:`;
  const keys = ['active', 'wait', 'meta', 'marker', 'forkpool-sweep'].map((k) => base + k);
  const heartbeatPrefix = nodeKey(t.queue, '');
  const [hbKey, nodesKey, wipedKey, ...hbArgs] = beatArgs(t.queue, t.heartbeat, true);
  const moved = await client.eval(RECOVER_LUA, keys.length + 3, ...keys, hbKey!, nodesKey!, wipedKey!, base, heartbeatPrefix, t.maxStalledCount, t.periodMs, STALLED_REASON, ...hbArgs);
  return (moved as string[] | null) ?? [];
}
