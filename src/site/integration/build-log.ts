/**
 * Astro's log, made readable: Astro lists every page it writes (25,000 lines a night at 100,000 contacts, with
 * their render times on lines of their own once pages render in parallel). This log handler (Astro's `logger`
 * option) counts those lines instead, draws one progress line (in place on a terminal, every 10% in a log),
 * and passes warnings and errors through as they come. With `verbose` it writes everything, as Astro would.
 *
 * Astro imports this module itself (`logger.entrypoint`), natively rather than through Vite, so it is the
 * same module instance `buildSite()` imports, and `buildLogCounts()` reads the counts of the build that ran.
 */
import { stripVTControlCharacters } from 'node:util';

export interface BuildLogConfig {
  /** Write Astro's whole log instead. */
  verbose: boolean;
  /** Redraw the progress line in place (a terminal) instead of a line every 10%. */
  interactive: boolean;
  /** About how many pages the build writes: the denominator of the progress. */
  expectedPages: number;
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

const counts: BuildLogCounts = { rendered: 0, reused: 0 };

/** The pages rendered and reused since `resetBuildLogCounts()`. */
export function buildLogCounts(): BuildLogCounts {
  return { ...counts };
}

export function resetBuildLogCounts(): void {
  counts.rendered = 0;
  counts.reused = 0;
}

/** The `logger` option that routes Astro's log through this module. */
export function buildLogger(config: BuildLogConfig) {
  return { entrypoint: new URL(import.meta.url), config: { ...config } };
}

export default function createBuildLog(config: BuildLogConfig) {
  let lastStep = -1;
  let lastDraw = 0;
  let live = false;
  const out = (text: string) => process.stdout.write(text);
  const clearLive = () => {
    if (live) out('\r\u001b[2K');
    live = false;
  };
  const progress = () => {
    const done = counts.rendered + counts.reused;
    const total = Math.max(config.expectedPages, done);
    const percent = Math.floor((done / total) * 100);
    const text = `[build] pages ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${percent}%)`;
    if (config.interactive) {
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      out(`\r\u001b[2K${text}`);
      live = true;
      return;
    }
    const step = Math.floor(percent / 10);
    if (step <= lastStep || step === 0 || step >= 10) return;
    lastStep = step;
    out(`${text}\n`);
  };

  return {
    write(event: LogEvent) {
      if (event.level === 'debug' || event.level === 'silent') return;
      if (config.verbose) {
        const stream = event.level === 'error' ? process.stderr : process.stdout;
        const prefix = event.label && event.label !== 'SKIP_FORMAT' ? `[${event.label}] ` : '';
        stream.write(`${prefix}${event.message}${event.newLine ? '\n' : ''}`);
        return;
      }
      if (event.level === 'warn' || event.level === 'error') {
        clearLive();
        const prefix = event.label && event.label !== 'SKIP_FORMAT' ? `[${event.label}] ` : '';
        process.stderr.write(`${prefix}${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
        return;
      }
      // A page Astro copied from its cache is announced as "(cached)" or "(restored)", one it rendered by
      // its render time: "(+37ms)".
      const text = stripVTControlCharacters(event.message);
      if (/\((cached|restored)\)/.test(text)) counts.reused += 1;
      else if (/^\s*\(\+[\d.]+\s*m?s\)/.test(text)) counts.rendered += 1;
      else return;
      progress();
    },
  };
}

/** Clears a progress line left drawn in place, before the build's summary. */
export function endBuildLog(interactive: boolean): void {
  if (interactive) process.stdout.write('\r\u001b[2K');
}
