/**
 * The worker thread that places a build's files from the site cache (see `placeInWorker` in
 * `keyed-store.ts`): its one message is the job, its one answer that it is done or why it failed.
 */
import { mkdirSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { type PlacingJob, type PlacingResult, placeWhole } from './keyed-store.ts';

const port = parentPort;
if (!port) throw new Error('placing-worker.ts runs as a worker thread');
port.once('message', (job: PlacingJob) => {
  let result: PlacingResult;
  try {
    for (const folder of job.folders) mkdirSync(folder, { recursive: true });
    for (const [from, to] of job.links) placeWhole(from, to);
    result = { done: job.folders.length + job.links.length };
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    result = { error: { message: String(message ?? error), code: code ?? '' } };
  }
  port.postMessage(result);
});
