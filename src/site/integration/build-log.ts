/**
 * Astro's log, made readable: Astro lists every page it writes (25,000 lines a night at 100,000 contacts, with
 * their render times on lines of their own once pages render in parallel). A build's log (Astro's `logger`
 * option) counts those lines instead, draws one progress line (`createProgressLine`: in place on a terminal,
 * every 10% in a log), and passes warnings and errors through as they come. With `verbose` it writes
 * everything, as Astro would.
 */
import { stripVTControlCharacters } from 'node:util';
import { createProgressLine } from '../../shared/reporter.ts';

export interface BuildLogConfig {
  /** Write Astro's whole log instead. */
  verbose: boolean;
  /** Redraw the progress line in place (a terminal) instead of a line every 10%. */
  interactive: boolean;
  /** About how many pages the build writes: the denominator of the progress. */
  expectedPages: number;
}

/** Where a build's log goes: the entry point hands in its streams (`process.stdout.write`…). */
export interface BuildLogOutput {
  /** Progress, and Astro's information lines with `verbose`. */
  out: (text: string) => void;
  /** Warnings and errors. */
  err: (text: string) => void;
}

/** What Astro hands a log destination. */
interface LogEvent {
  level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  label: string | null;
  message: string;
  newLine: boolean;
}

export interface BuildLogCounts {
  /** Pages Astro rendered. */
  rendered: number;
  /** Pages copied from the incremental-build cache. */
  reused: number;
}

/** One build's log: what Astro writes to, and what it counted. */
export interface BuildLog {
  /** Astro's log destination. */
  write(event: LogEvent): void;
  /** The pages rendered and reused so far. */
  counts(): BuildLogCounts;
  /** Sets how many pages Astro is about to write, once the build knows (the progress's denominator). */
  expect(pages: number): void;
  /** Clears a progress line left drawn in place, before the build's summary. */
  end(): void;
}

export function createBuildLog(config: BuildLogConfig, output: BuildLogOutput): BuildLog {
  let expected = config.expectedPages;
  const counts: BuildLogCounts = { rendered: 0, reused: 0 };
  const line = createProgressLine({
    write: output.out,
    interactive: config.interactive && !config.verbose,
    tag: '[build] ',
  });
  const labelled = (event: LogEvent) =>
    event.label && event.label !== 'SKIP_FORMAT' ? `[${event.label}] ` : '';
  return {
    write(event) {
      if (event.level === 'debug' || event.level === 'silent') return;
      const page = event.level === 'info' ? countPage(counts, event.message) : false;
      if (config.verbose) {
        const write = event.level === 'error' ? output.err : output.out;
        write(`${labelled(event)}${event.message}${event.newLine ? '\n' : ''}`);
        return;
      }
      if (event.level === 'warn' || event.level === 'error') {
        line.clear();
        output.err(`${labelled(event)}${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
        return;
      }
      if (!page) return;
      const done = counts.rendered + counts.reused;
      line.show('pages', done, Math.max(expected, done));
    },
    counts: () => ({ ...counts }),
    expect: (pages) => {
      expected = pages;
    },
    end: () => line.clear(),
  };
}

/**
 * Counts the page a line of Astro's announces, if any: one copied from its cache is announced as "(cached)"
 * or "(restored)", one it rendered by its render time, "(+37ms)". Counted with `verbose` too: the build's
 * summary counted only the files written after Astro in a verbose build.
 */
function countPage(counts: BuildLogCounts, message: string): boolean {
  const text = stripVTControlCharacters(message);
  if (/\((cached|restored)\)/.test(text)) counts.reused += 1;
  else if (/^\s*\(\+[\d.]+\s*m?s\)/.test(text)) counts.rendered += 1;
  else return false;
  return true;
}

/**
 * The logs of the builds running in this process, by the id their `logger` option names. Astro's logger
 * configuration must be serializable, so a build's writers and counts cannot travel in it; and Astro loads
 * this module more than once (natively for its own log, and bundled into the prerender code for the pages'),
 * so a module variable would not be shared. Like the site context, the logs live on `globalThis` under a
 * registered symbol, and each build removes its own: nothing is left for a test to reset.
 */
const RUNNING = Symbol.for('qwoty.build-logs');

function running(): Map<string, BuildLog> {
  const holder = globalThis as { [RUNNING]?: Map<string, BuildLog> };
  holder[RUNNING] ??= new Map();
  return holder[RUNNING];
}

/**
 * Ids count up from 1 in each process (one build per process but in tests), not at random: the id is part of
 * the logger code Astro bundles, and the same id keeps that code the same from one night to the next.
 */
let lastId = 0;

/** Astro's `logger` option routing its log to `log`, until `close()` (when the build is over). */
export function attachBuildLog(log: BuildLog): {
  logger: { entrypoint: URL; config: { id: string } };
  close: () => void;
} {
  lastId += 1;
  const id = String(lastId);
  running().set(id, log);
  return {
    logger: { entrypoint: new URL(import.meta.url), config: { id } },
    close: () => running().delete(id),
  };
}

/** What Astro calls with the `logger` option's configuration: the log `attachBuildLog` registered. */
export default function buildLogDestination(config: { id: string }): Pick<BuildLog, 'write'> {
  const log = running().get(config.id);
  if (!log)
    throw new Error(`No site build has a log with the id ${config.id} in this process (see attachBuildLog).`);
  return log;
}
