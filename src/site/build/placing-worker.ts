/**
 * The worker thread of `Placing` (`keyed-store.ts`): batches of folders, writes and links, done in order as
 * they come; at the end, one answer: how many operations it did, or the first error. After an error it does
 * nothing more, and waits for the end to say so.
 */
import { mkdirSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import {
  type PlacingBatch,
  type PlacingResult,
  placeWhole,
  type ToPlacing,
  writeWhole,
} from './keyed-store.ts';

const port = parentPort;
if (!port) throw new Error('placing-worker.ts runs as a worker thread');
let done = 0;
let failed: PlacingResult | undefined;

function run(batch: PlacingBatch): void {
  for (const folder of batch.folders) {
    mkdirSync(folder, { recursive: true });
    done += 1;
  }
  for (const [to, body, storeAs] of batch.writes) {
    writeWhole(to, body, storeAs ?? undefined);
    done += 1;
  }
  for (const [from, to] of batch.links) {
    placeWhole(from, to);
    done += 1;
  }
}

port.on('message', (message: ToPlacing) => {
  if ('end' in message) {
    port.postMessage(failed ?? ({ done } satisfies PlacingResult));
    return;
  }
  if (failed) return;
  try {
    run(message.batch);
  } catch (error) {
    const { message: reason, code } = error as NodeJS.ErrnoException;
    failed = { error: { message: String(reason ?? error), code: code ?? '' } };
  }
});
