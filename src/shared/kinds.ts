/**
 * Loads every public shared class, so each has registered how to rebuild
 * itself from a handle before the codec decodes the first one (a worker
 * never imports these classes itself).
 */
import './list.js';
import './dict.js';
import './value.js';
import './locks.js';
import './event.js';
import './barrier.js';
import './condition.js';
import './queue.js';
import './pipe.js';
