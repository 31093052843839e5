// workerpool needs its worker script to register the functions explicitly.
import workerpool from 'workerpool';
import * as tasks from './tasks.mjs';

workerpool.worker({ ...tasks });
