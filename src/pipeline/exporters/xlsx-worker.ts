/**
 * The worker thread that writes `contacts.xlsx` (see `xlsx.ts`): it may start before its job, which is its first
 * message; rows then arrive in batches, each acknowledged.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './xlsx.ts';
import { writeWorkbook } from './xlsx-workbook.ts';

const port = parentPort;
if (!port) throw new Error('xlsx-worker.ts runs as a worker thread');
const inbox: ToWorker[] = [];
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  inbox.push(message);
  wake?.();
});

async function next(): Promise<ToWorker> {
  while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = undefined;
  return inbox.shift() as ToWorker;
}

async function run(): Promise<void> {
  const first = await next();
  if (!('job' in first)) throw new Error('the XLSX worker expected its job first');
  await writeWorkbook(first.job, next, () => send({ written: true }));
}

const send = (message: FromWorker) => port.postMessage(message);
run().then(
  () => {
    send({ done: true });
    port.close();
  },
  (error: unknown) => {
    const { code } = error as NodeJS.ErrnoException;
    send({ error: error instanceof Error ? error.message : String(error), ...(code ? { code } : {}) });
    // After a failed write exceljs's zip may still be starting deflate streams for its next entries. The
    // parent's `terminate()` could stop this thread in the middle of one's constructor, and Node then aborts
    // the whole process while freeing it ("close before init", node_zlib.cc; seen once in CI on the
    // disk-full test). Ending the thread here, from its own code, stops it where no constructor is running;
    // the error is posted first and Node delivers it before the 'exit' event.
    process.exit(1);
  },
);
