/**
 * How far V8 lets the heap grow past the data it holds. By default, after each full collection V8 lets the
 * heap grow to up to about four times what survived before it collects again. A fetch run keeps about 140 MB
 * of live data at 100,000 contacts but makes a lot of short-lived garbage (parsed records before
 * validation, export text), so the heap reached 380 MB and the process 650-700 MB before V8 looked at it
 * again. Growing by at most half between collections keeps the heap near its live size, whatever the
 * workspace's size (it is a growth rate, not a cap, so a larger workspace never runs out of heap because of
 * it).
 *
 * Measured at 100,000 contacts (`npm run bench -- --sizes 100000 --no-site`, median of 3): with V8's default
 * the process peaked at 650-700 MB. At 25% it peaked at 397 MB but took 8.2 s, as V8 was marking the heap
 * through most of the run on the core the XLSX worker needs; at 50% it peaks at 406 MB and takes 7.2 s; at
 * 100%, 448 MB and 6.8 s. 50% leaves a hundred megabytes under the 512 MB target for larger records.
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor for this process (and the worker threads it starts). Process-wide: call it
 * from an entry point, not from library code.
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
