/**
 * Progress a person can follow: one line per phase with counts and timings, a live counter for long phases
 * on a terminal, and plain lines (a few per phase) when the output is a log file or CI.
 */

export interface Reporter {
  /** A line of information (suppressed when quiet). */
  info(message: string): void;
  /** A warning: always shown. */
  warn(message: string): void;
  /** Progress of a long phase; drawn in place on a terminal, every 10% otherwise. */
  progress(label: string, done: number, total: number): void;
}

export interface ReporterOptions {
  /** Writes text to the output (e.g. `process.stderr.write`). */
  write: (text: string) => void;
  /** True on a terminal: progress is redrawn in place. */
  interactive: boolean;
  quiet?: boolean;
  /** Shown before each line, e.g. "fetch". */
  prefix?: string;
}

export function createReporter({
  write,
  interactive,
  quiet = false,
  prefix = '',
}: ReporterOptions): Reporter {
  const lead = prefix ? `[${prefix}] ` : '';
  let live = false;
  let lastDraw = 0;
  let lastStep = -1;

  const clearLive = () => {
    if (live) write('\r\u001b[2K');
    live = false;
  };

  return {
    info(message) {
      if (quiet) return;
      clearLive();
      write(`${lead}${message}\n`);
    },
    warn(message) {
      clearLive();
      write(`${lead}warning: ${message}\n`);
    },
    progress(label, done, total) {
      if (quiet || total === 0) return;
      const percent = Math.floor((done / total) * 100);
      if (interactive) {
        const now = Date.now();
        if (done < total && now - lastDraw < 100) return;
        lastDraw = now;
        write(
          `\r\u001b[2K${lead}${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${percent}%)`,
        );
        live = done < total;
        if (!live) write('\r\u001b[2K');
        return;
      }
      // Only new highs: the customer look-ups' total grows while the contacts stream, so their share goes
      // down and up again, and a log would repeat "10%" for every dip.
      const step = Math.floor(percent / 10);
      if (step <= lastStep || done === total) return;
      lastStep = step;
      if (step > 0)
        write(`${lead}${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${step * 10}%)\n`);
    },
  };
}

/** A reporter that records lines, for tests. */
export function createMemoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  const reporter = createReporter({ write: (text) => lines.push(text), interactive: false });
  return Object.assign(reporter, { lines });
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
