/** The worker thread that writes `contacts.xlsx` (see `xlsx.ts`): rows arrive in batches, each acknowledged. */
import { parentPort, workerData } from 'node:worker_threads';
import { type FromWorker, type ToWorker, type WorkbookJob, writeWorkbook } from './xlsx.ts';

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

const send = (message: FromWorker) => port.postMessage(message);
writeWorkbook(workerData as WorkbookJob, next, () => send({ written: true })).then(
  () => {
    send({ done: true });
    port.close();
  },
  (error: unknown) => {
    const { code } = error as NodeJS.ErrnoException;
    send({ error: error instanceof Error ? error.message : String(error), ...(code ? { code } : {}) });
    port.close();
  },
);
