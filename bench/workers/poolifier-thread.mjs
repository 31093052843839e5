import { ThreadWorker } from 'poolifier';
import * as tasks from './tasks.mjs';

export default new ThreadWorker({ ...tasks });
