/**
 * A folder of files named by their key: the site cache's customers' pages (`customer-pages.ts`) and files
 * (`customer-files.ts`). A file is only ever created whole under its name, never written in place, so a name
 * always holds the bytes its key stands for; a site holds the same file through a hard link.
 *
 * At 100,000 contacts a night places 37,500 such files, so each placing costs as few system calls as it can:
 * - a hard link appears whole, so a file is linked under its final name at once (no temporary name and
 *   rename, which cost a third more on a first night); only where the name is taken (an entry of a build
 *   that stored the same key) or the two paths cannot share a file is a temporary name renamed onto it;
 * - a file goes into its folder without asking first whether the folder exists (Astro made most of them);
 *   the folder is made when the system says it is missing.
 *
 * The calls are synchronous, made in slices of a few milliseconds between which the event loop runs
 * (`inSlices`). Through Node's asynchronous file system, each call went to one of libuv's four threads, and
 * they made it slower, not faster: the calls go into the same few folders, whose lock the threads then wait
 * for (in `perf`, the kernel spun in `rwsem_spin_on_owner` under `mkdir`), and each hand-over between threads
 * costs more than the call itself on a small virtual machine. Measured on 2 cores with loops of the calls
 * alone (one run each, interleaved, a `sync` and a pause between): 12,500 `mkdir` in one folder took
 * 0.73-0.88 s synchronously, 1.8 s in 4 async lanes and 2.8 s in one; 37,500 links, 0.51-0.53 s against
 * 1.22-1.24 s in 16 lanes; 37,500 writes of 3 KB, 1.5-1.7 s against 3.8-4.8 s.
 */
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Errors of `link()` that mean "these two paths cannot share a file here", not "something is wrong": another
 * file system (EXDEV), one without hard links (EPERM, ENOTSUP, ENOSYS) or a file with too many of them.
 */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'ENOSYS', 'EMLINK', 'EOPNOTSUPP']);

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? '';

/** How long `inSlices` works before it lets the event loop run (Astro's rendering, timers, signals). */
const SLICE_MS = 10;

/**
 * Runs `task` on each of `items` in order, synchronously, letting the event loop run between slices of about
 * `SLICE_MS`; resolves when all are done. For synchronous file system calls (see above): the work of a
 * night still shares the process with Astro's build.
 */
export async function inSlices<T>(items: Iterable<T>, task: (item: T) => void): Promise<void> {
  let sliceEnd = performance.now() + SLICE_MS;
  for (const item of items) {
    task(item);
    if (performance.now() >= sliceEnd) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceEnd = performance.now() + SLICE_MS;
    }
  }
}

/** Runs `write()`, which writes into `folder`; when the folder is missing, makes it and writes again. */
export function intoFolder(folder: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
    mkdirSync(folder, { recursive: true });
    write();
  }
}

/**
 * Writes `body` to `to`, whose folder is made when missing, then stores it as `storeAs` when given
 * (`placeWhole(to, storeAs, true)`). Never into a file already there (`wx`): it could be a link to the
 * cache's copy.
 */
export function writeWhole(to: string, body: string, storeAs?: string): void {
  intoFolder(path.dirname(to), () => writeFileSync(to, body, { flag: 'wx' }));
  if (storeAs !== undefined) placeWhole(to, storeAs, true);
}

/**
 * Makes `to` the same file as `from`, whole: a hard link, or where the two cannot share a file, a copy under a
 * temporary name renamed onto `to`. `replace` also replaces a file already at `to`; without it, one there is
 * an error (EEXIST), as for `link`. `to`'s folder is made when missing.
 */
export function placeWhole(from: string, to: string, replace = false): void {
  try {
    intoFolder(path.dirname(to), () => linkSync(from, to));
    return;
  } catch (error) {
    const code = codeOf(error);
    if (!NO_LINK.has(code) && !(replace && code === 'EEXIST')) throw error;
  }
  const temporary = `${to}.${randomUUID()}.tmp`;
  try {
    try {
      linkSync(from, temporary);
    } catch (error) {
      if (!NO_LINK.has(codeOf(error))) throw error;
      copyFileSync(from, temporary);
    }
    renameSync(temporary, to);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export interface KeyedStore {
  /** Whether the store held `name` when it was opened. */
  has(name: string): boolean;
  /** The path of the stored file `name`, to place it from (`Placing`). */
  pathOf(name: string): string;
  /** Puts the stored file `name` at `to`, which must not exist; its folder is made when missing. */
  place(name: string, to: string): void;
  /** Stores the file at `from` under `name`, replacing any file of that name. */
  store(from: string, name: string): void;
  /** Removes every file whose name is not in `keep`: the store holds exactly this build's files. */
  keepOnly(keep: ReadonlySet<string>): Promise<void>;
}

/**
 * Opens the store in `dir`, made if missing, private (0700): a file linked into a site is one file with the
 * site's copy, so the site's group (`QWOTY_SITE_GROUP`) is given it too (`g+r`), and only this folder's mode
 * keeps the group from reading the store's names for them (and every file no site holds any more). `force`:
 * as if it held nothing (a first night, a build after a failed one); it is still filled.
 */
export function openKeyedStore(dir: string, force: boolean): KeyedStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const held = new Set(force ? [] : readdirSync(dir));
  return {
    has: (name) => held.has(name),
    pathOf: (name) => path.join(dir, name),
    place: (name, to) => placeWhole(path.join(dir, name), to),
    store: (from, name) => placeWhole(from, path.join(dir, name), true),
    async keepOnly(keep) {
      const stale = readdirSync(dir).filter((entry) => !keep.has(entry));
      await inSlices(stale, (entry) => rmSync(path.join(dir, entry), { force: true }));
    },
  };
}

/**
 * One batch of the placing worker's work, done in this order: folders made, files written (`writeWhole`),
 * links placed (`placeWhole(from, to)`).
 */
export interface PlacingBatch {
  folders: string[];
  writes: Array<[to: string, body: string, storeAs: string | null]>;
  links: Array<[from: string, to: string]>;
}

/** A batch, or the end: the worker answers once, with how many operations it did or the first error. */
export type ToPlacing = { batch: PlacingBatch } | { end: true };

export type PlacingResult = { done: number } | { error: { message: string; code: string } };

/** Operations gathered before a batch goes to the worker: few messages, none large. */
const BATCH_OPERATIONS = 500;

const emptyBatch = (): PlacingBatch => ({ folders: [], writes: [], links: [] });

/**
 * File-system work handed to a worker thread on the other core as it is gathered, in batches, done in the
 * order given: while this thread goes on (Astro's build, or making the customers' files' bytes), the worker
 * makes the folders, writes the files and links them. At 100,000 contacts a night places 12,500 folders and
 * 37,500 files; on this thread, in slices, they took turns with whatever it was doing.
 */
export class Placing {
  #batch = emptyBatch();
  #size = 0;
  #total = 0;
  #worker: Worker | undefined;
  #result: Promise<number> | undefined;

  folder(folder: string): void {
    this.#batch.folders.push(folder);
    this.#added();
  }

  /** `writeWhole(to, body, storeAs)`. */
  write(to: string, body: string, storeAs?: string): void {
    this.#batch.writes.push([to, body, storeAs ?? null]);
    this.#added();
  }

  /** `placeWhole(from, to)`. */
  link(from: string, to: string): void {
    this.#batch.links.push([from, to]);
    this.#added();
  }

  /** Sends what is left and waits for the worker; rejects with its first error (`code` kept, as `placeWhole`'s). */
  run(): Promise<number> {
    if (this.#total === 0) return Promise.resolve(0);
    this.#flush();
    this.#worker?.postMessage({ end: true } satisfies ToPlacing);
    return this.#result ?? Promise.resolve(0);
  }

  #added(): void {
    this.#total += 1;
    this.#size += 1;
    if (this.#size >= BATCH_OPERATIONS) this.#flush();
  }

  #flush(): void {
    if (this.#size === 0) return;
    this.#start().postMessage({ batch: this.#batch } satisfies ToPlacing);
    this.#batch = emptyBatch();
    this.#size = 0;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./placing-worker.ts', import.meta.url), {
      // It holds a batch at a time (about 1.5 MB of files' bytes): small limits make V8 collect early, so
      // it adds little to a night's peak memory (a first night's is near its 768 MB target).
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 },
    });
    this.#worker = worker;
    this.#result = new Promise((resolve, reject) => {
      let settled = false;
      worker.once('message', (result: PlacingResult) => {
        settled = true;
        if ('done' in result) resolve(result.done);
        else reject(Object.assign(new Error(result.error.message), { code: result.error.code }));
        void worker.terminate();
      });
      worker.once('error', (error) => {
        settled = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`the placing worker stopped with exit code ${code}`));
      });
    });
    // Awaited through `run()`; until then, a failure is no rejection nobody handles.
    this.#result.catch(() => undefined);
    return worker;
  }
}
