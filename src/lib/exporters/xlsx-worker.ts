/** The worker thread that writes `contacts.xlsx` (see `xlsx.ts`); it answers with `{}` or `{ error, code }`. */
import { parentPort, workerData } from 'node:worker_threads';
import { type PackedWorkbook, writePackedWorkbook } from './xlsx.ts';

const packed: PackedWorkbook = workerData;
writePackedWorkbook(packed).then(
  () => parentPort?.postMessage({}),
  (error: unknown) =>
    parentPort?.postMessage({
      error: error instanceof Error ? error.message : String(error),
      code: (error as NodeJS.ErrnoException).code,
    }),
);
