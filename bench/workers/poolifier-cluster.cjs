// CommonJS on purpose: poolifier's cluster pool sends its handshake as soon
// as the worker is online, and an ES module worker (loaded asynchronously)
// has not attached its message listener yet, so the handshake is lost and
// every task hangs. A CommonJS worker attaches it synchronously.
const { ClusterWorker } = require('poolifier');
const tasks = require('./tasks.mjs');

module.exports = new ClusterWorker({ ...tasks });
