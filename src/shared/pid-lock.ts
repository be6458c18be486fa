/**
 * A lock file held by one process at a time: `data/.lock` (one publish into a data folder), the site's `.lock`
 * (one build into a site folder) and the site cache's `build.lock` (one build using the cache).
 *
 * The file says who holds it: pid, host name, boot id, pid namespace, the process's start time and a nonce
 * (one JSON line; see `LockRecordSchema`). When the holder was killed, the next taker finds out and takes the
 * lock over:
 * - a pid that no longer runs, or that runs a process started at another time (the pid was reused), is gone;
 * - a lock taken before this host last booted (another boot id) is gone;
 * - a lock taken on another host, or in another container of this host (another pid namespace), is never broken
 *   automatically: its pid means nothing here, and a data folder on a shared mount may really be in use
 *   there. The taker is told who holds it and which file to delete if that run is over. Breaking it after
 *   some age instead would let a long run on the other host lose its lock while it still writes.
 *
 * Taking over is exact: of many processes that find the same stale lock at once, one takes it and the others
 * see it held. Removing a stale lock and creating a new one cannot do that: a slow process that judged the
 * old lock stale then removes the lock a faster one just created, and both hold it (the race of
 * moxystudio/node-proper-lockfile#121 and npm/lockfile#4). Renaming the stale lock away, then re-checking it,
 * only narrows the window, and leaves a moment without a lock. So the right to replace one stale lock is
 * claimed first, with an exclusive create of a marker named after that lock's exact content
 * (`<lock>.break-<hash>-<n>`). The one process holding it re-checks the lock and renames its own over it:
 * the lock never stops existing, and nobody else can act on that content meanwhile. If that process is
 * killed, its marker's holder is gone and the next one claims `<n+1>`.
 *
 * Every file is created whole (written aside, then hard-linked or renamed in place): a lock is never seen
 * empty or half-written.
 *
 * proper-lockfile, evaluated instead: it locks with `mkdir` and calls a lock stale when its mtime, refreshed on
 * a timer, is older than 10 s. That works across hosts, but a holder whose event loop is blocked longer (a
 * large synchronous JSON step, a suspended VM) loses its lock while it still writes; its stale-lock reclaim
 * removes, then re-creates (the race above); and it cannot say which process holds a lock, which our messages
 * do. On one machine a pid with its start time and the boot id says exactly whether the holder still runs,
 * whatever it is doing. Outside Linux (no /proc), only whether the pid runs is known.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const LockRecordSchema = z.object({
  /** The holding process. */
  pid: z.number().int().positive(),
  /** The host name where it runs. */
  host: z.string(),
  /** Linux's boot id (`/proc/sys/kernel/random/boot_id`): another one means the host restarted since. */
  boot_id: z.string().nullable(),
  /** The pid namespace of the holder (`/proc/self/ns/pid`): one per container, where pids are its own. */
  pid_namespace: z.string().nullable(),
  /** When the process started, in clock ticks after boot (`/proc/<pid>/stat`): a reused pid has another. */
  start_ticks: z.number().int().nonnegative().nullable(),
  /** When the lock was taken. */
  since: z.iso.datetime(),
  /** Unique to this taking of the lock. */
  nonce: z.string(),
  /** The holder let go after a failure and left the lock: the next taker takes it at once, and knows. */
  abandoned: z.boolean().optional(),
});
export type LockRecord = z.output<typeof LockRecordSchema>;

/** What a lock record says of the process and machine that took it. */
export type ProcessIdentity = Pick<LockRecord, 'pid' | 'host' | 'boot_id' | 'pid_namespace' | 'start_ticks'>;

/** Whether a lock's holder still holds it, as far as this process can tell. */
export type Verdict =
  /** Its process runs. */
  | { state: 'held' }
  /** Its process is gone, or let go: the lock may be taken over. */
  | { state: 'stale'; reason: string }
  /** Taken on another host or in another container: this process cannot tell, and leaves it alone. */
  | { state: 'unknown'; reason: string };

/** Who holds a lock, as its file says. */
export interface LockHolder {
  /** Null when the file is damaged (and so taken over). */
  pid: number | null;
  host: string | null;
  /** When it was taken (ISO), when the file says. */
  since: string | null;
  verdict: Verdict;
}

export type TakeoverStep = 'claimed' | 'replaced';

export interface AcquireOptions {
  /** The process to record as the holder; this one by default (tests take locks in a gone process's name). */
  pid?: number;
  /** Called at each step of taking over a stale lock; tests kill the process there. */
  onStep?: (step: TakeoverStep) => void | Promise<void>;
}

export interface PidLock {
  readonly path: string;
  /** Removes the lock if it is still this one; false, leaving it alone, if another process took it over. */
  release(): Promise<boolean>;
  /**
   * Leaves the lock in place, marked as let go: the next taker takes it over at once and learns (`replaced`)
   * that this holder did not finish. False if it is no longer this one.
   */
  abandon(): Promise<boolean>;
}

export type Acquired =
  /** `replaced`: the stale lock it took over, or null when the lock was free. */
  { acquired: true; lock: PidLock; replaced: LockHolder | null } | { acquired: false; holder: LockHolder };

/** Rounds of "create, or find it held, or take it over" before giving up (only under heavy contention). */
const MAX_ROUNDS = 200;
/** Leftover drafts older than this are removed by the next holder whoever wrote them: each lives for milliseconds. */
const LEFTOVER_MS = 60_000;

/**
 * Takes the lock at `lockPath` (its folder must exist), taking over a stale one; resolves with who holds it
 * when it is held. Throws on file-system errors only.
 */
export async function acquirePidLock(lockPath: string, options: AcquireOptions = {}): Promise<Acquired> {
  const here = describeProcess(options.pid ?? process.pid);
  const record: LockRecord = {
    ...here,
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const content = `${JSON.stringify(record)}\n`;
  const draft = `${lockPath}.new-${record.nonce}`;
  await writeFile(draft, content);
  try {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (await createExclusive(draft, lockPath)) return await won(lockPath, record, content, null);
      const found = await readIfAny(lockPath);
      if (found === null) continue; // released meanwhile
      const holder = inspectLock(found, here);
      if (holder.verdict.state !== 'stale') return { acquired: false, holder };
      const outcome = await takeOver(lockPath, found, draft, content, here, options.onStep);
      if (outcome === 'taken') return await won(lockPath, record, content, holder);
      // Another process is taking it over: it will hold it in a moment, or die and let the next one try.
      if (outcome === 'contended') await sleep(5 + Math.random() * 20);
    }
    throw new Error(`could not settle who holds ${lockPath} after ${MAX_ROUNDS} tries`);
  } finally {
    await rm(draft, { force: true });
  }
}

/** Who holds the lock whose file reads `content`, judged from the machine of `here`. */
export function inspectLock(content: string, here: ProcessIdentity = describeProcess()): LockHolder {
  const legacy = /^(\d+)\s*$/.exec(content);
  if (legacy) {
    // A bare pid, as versions before this one wrote: only whether it runs can be told.
    const pid = Number(legacy[1]);
    const gone = pid === here.pid || !isProcessAlive(pid);
    return {
      pid,
      host: null,
      since: null,
      verdict: gone ? { state: 'stale', reason: `process ${pid} is gone` } : { state: 'held' },
    };
  }
  let record: LockRecord;
  try {
    record = LockRecordSchema.parse(JSON.parse(content));
  } catch {
    return {
      pid: null,
      host: null,
      since: null,
      verdict: { state: 'stale', reason: 'the lock file is damaged' },
    };
  }
  return { pid: record.pid, host: record.host, since: record.since, verdict: judge(record, here) };
}

function judge(record: LockRecord, here: ProcessIdentity): Verdict {
  const { pid } = record;
  if (record.abandoned) return { state: 'stale', reason: `process ${pid} let go of it after a failure` };
  if (record.host !== here.host) return { state: 'unknown', reason: `it was taken on host ${record.host}` };
  if (record.boot_id && here.boot_id && record.boot_id !== here.boot_id) {
    return { state: 'stale', reason: `host ${record.host} has restarted since` };
  }
  if (record.pid_namespace && here.pid_namespace && record.pid_namespace !== here.pid_namespace) {
    return { state: 'unknown', reason: `it was taken in another container (${record.pid_namespace})` };
  }
  if (!isProcessAlive(pid)) return { state: 'stale', reason: `process ${pid} is gone` };
  const ticks = record.start_ticks === null ? null : startTicks(pid);
  if (ticks !== null && ticks !== record.start_ticks) {
    return { state: 'stale', reason: `process ${pid} is gone (its id now belongs to another process)` };
  }
  return { state: 'held' };
}

/**
 * Replaces the stale lock whose file read `found` with this process's, if no other process does first.
 * `taken`: this process holds the lock; `changed`: the lock is no longer that one (look again);
 * `contended`: another live process is replacing it.
 */
async function takeOver(
  lockPath: string,
  found: string,
  draft: string,
  content: string,
  here: ProcessIdentity,
  onStep: AcquireOptions['onStep'],
): Promise<'taken' | 'changed' | 'contended'> {
  const key = contentKey(found);
  const marker = (n: number) => `${lockPath}.break-${key}-${n}`;
  let claimed = -1;
  for (let n = 0; claimed < 0; n += 1) {
    if (n >= MAX_ROUNDS) return 'contended';
    if (await createExclusive(draft, marker(n))) {
      claimed = n;
      break;
    }
    const other = await readIfAny(marker(n));
    if (other === null) return 'changed'; // its claimer finished and cleaned up
    if (inspectLock(other, here).verdict.state !== 'stale') return 'contended';
    // That claimer was killed before it finished: the next number is free to claim.
  }
  const forget = () =>
    Promise.all(Array.from({ length: claimed + 1 }, (_, n) => rm(marker(n), { force: true })));
  await onStep?.('claimed');
  // Only the holder of this claim may replace a lock that reads `found`, so it still does or never will again.
  if ((await readIfAny(lockPath)) !== found) {
    await forget();
    return 'changed';
  }
  const replacement = `${draft}-r`;
  await link(draft, replacement);
  await rename(replacement, lockPath);
  await onStep?.('replaced');
  const now = await readIfAny(lockPath);
  await forget();
  return now === content ? 'taken' : 'changed';
}

async function won(
  lockPath: string,
  record: LockRecord,
  content: string,
  replaced: LockHolder | null,
): Promise<Acquired> {
  await removeLeftovers(lockPath, content);
  const lock: PidLock = {
    path: lockPath,
    release: () => removeIfStill(lockPath, content, record.nonce),
    abandon: async () => {
      if ((await readIfAny(lockPath)) !== content) return false;
      const marked = `${lockPath}.new-${record.nonce}-a`;
      await writeFile(marked, `${JSON.stringify({ ...record, abandoned: true })}\n`);
      await rename(marked, lockPath);
      return true;
    },
  };
  return { acquired: true, lock, replaced };
}

/**
 * Removes the lock if it reads `content`: renamed aside first, then re-checked, so that a lock someone else
 * took meanwhile is put back rather than deleted.
 */
async function removeIfStill(lockPath: string, content: string, nonce: string): Promise<boolean> {
  if ((await readIfAny(lockPath)) !== content) return false;
  const aside = `${lockPath}.gone-${nonce}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
  const moved = await readIfAny(aside);
  if (moved !== content) await link(aside, lockPath).catch(() => {});
  await rm(aside, { force: true });
  return moved === content;
}

/**
 * What killed processes left next to the lock, once this process holds it: claims to replace another lock
 * than this one (nobody can act on them any more), and drafts and set-aside locks of processes that are gone.
 */
async function removeLeftovers(lockPath: string, content: string): Promise<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  const ownClaims = `break-${contentKey(content)}-`;
  const before = Date.now() - LEFTOVER_MS;
  for (const name of await readdir(dir).catch(() => [])) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const file = path.join(dir, name);
    if (rest.startsWith('break-')) {
      if (!rest.startsWith(ownClaims)) await rm(file, { force: true });
    } else if (/^(new|gone)-/.test(rest)) {
      // A draft may be read half-written (it is being written): only a whole record of a gone process counts.
      const body = await readIfAny(file);
      const info = await stat(file).catch(() => null);
      const writer = body === null ? null : inspectLock(body);
      const gone = writer?.pid != null && writer.verdict.state === 'stale';
      if (gone || (info && info.mtimeMs < before)) await rm(file, { force: true });
    }
  }
}

/** Names the lock that reads `content`, for the claims to replace it. */
function contentKey(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** Creates `target` as a hard link to the complete file `source`: atomic, and fails if `target` exists. */
async function createExclusive(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw error;
  }
}

async function readIfAny(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

/** The process `pid` and this machine, as a lock records them. */
export function describeProcess(pid: number = process.pid): ProcessIdentity {
  return {
    pid,
    host: hostname(),
    boot_id: readProc(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pid_namespace: readProc(() => readlinkSync('/proc/self/ns/pid')),
    start_ticks: startTicks(pid),
  };
}

/** When process `pid` started, in clock ticks after boot (Linux), or null. */
export function startTicks(pid: number): number | null {
  return procStat(pid)?.startTicks ?? null;
}

/** Fields 3 (state) and 22 (start time) of `/proc/<pid>/stat`, or null where there is no such file. */
function procStat(pid: number): { state: string; startTicks: number | null } | null {
  const line = readProc(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!line) return null;
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return { state: fields[0] ?? '', startTicks: Number.isSafeInteger(ticks) ? ticks : null };
}

/** Whether a process with this id runs here (EPERM: it does, as another user; a zombie has ended). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return isCode(error, 'EPERM');
  }
  return procStat(pid)?.state !== 'Z';
}

function readProc<T>(read: () => T): T | null {
  try {
    return read() || null;
  } catch {
    return null;
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
