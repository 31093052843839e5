// Worker side of the raw floors: the least code that answers `{ id, name,
// arg }` with `{ id, value }`, as a forked child or as a worker thread.
import { parentPort } from 'node:worker_threads';
import * as tasks from './tasks.mjs';

const reply = parentPort ? (m) => parentPort.postMessage(m) : (m) => process.send(m);
const onMessage = ({ id, name, arg }) => reply({ id, value: tasks[name](arg) });

if (parentPort) parentPort.on('message', onMessage);
else process.on('message', onMessage);
