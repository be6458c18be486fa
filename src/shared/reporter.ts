/**
 * Progress a person can follow: one line per phase with counts and timings, a live counter for long phases
 * on a terminal, and plain lines (a few per phase) when the output is a log file or CI. In a log, each line
 * starts with the time it was written (UTC, to the second): a log file gathers many nights, and a line that
 * says when it happened needs no separator. A terminal's lines stay as they are: its reader is watching.
 */

export interface Reporter {
  /** A line of information (suppressed when quiet). */
  info(message: string): void;
  /** A warning: always shown. */
  warn(message: string): void;
  /** Progress of a long phase; drawn in place on a terminal, every 10% otherwise. */
  progress(label: string, done: number, total: number): void;
  /** A line of another process's output (the site build's), passed on as it is but for the time stamp. */
  echo(line: string): void;
}

export interface ReporterOptions {
  /** Writes text to the output (e.g. `process.stderr.write`). */
  write: (text: string) => void;
  /** True on a terminal: progress is redrawn in place. */
  interactive: boolean;
  quiet?: boolean;
  /** Shown before each line, e.g. "fetch". */
  prefix?: string;
  /** Start each line with the time (`2026-12-07T02:17:03Z`); by default when the output is not a terminal. */
  timestamps?: boolean;
  /** The clock of the time stamps; tests fix it. */
  now?: () => Date;
}

/** `2026-12-07T02:17:03Z `: the time stamp that starts a log line. */
export function logTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z `;
}

/** A progress line, the one way this project draws one (the fetch's customers, the build's pages). */
export interface ProgressLine {
  /**
   * Shows `done` of `total` under `label`: redrawn in place on a terminal (at most every 100 ms, and once when
   * it is complete), else written as a line at each new tenth (never 0% nor 100%).
   */
  show(label: string, done: number, total: number): void;
  /** Clears a line drawn in place, so that other text can follow it. */
  clear(): void;
}

export interface ProgressLineOptions {
  write: (text: string) => void;
  /** True on a terminal: the line is redrawn in place. */
  interactive: boolean;
  /** What starts the line, e.g. "[build] ". */
  tag?: string;
  /** The time stamp that starts a log line, if any. */
  stamp?: () => string;
}

export function createProgressLine({
  write,
  interactive,
  tag = '',
  stamp = () => '',
}: ProgressLineOptions): ProgressLine {
  let live = false;
  let lastDraw = 0;
  let drawnComplete = false;
  let lastStep = -1;
  const text = (label: string, done: number, total: number, percent: number) =>
    `${stamp()}${tag}${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${percent}%)`;
  return {
    show(label, done, total) {
      const percent = Math.floor((done / total) * 100);
      if (interactive) {
        const now = Date.now();
        const complete = done >= total;
        if (now - lastDraw < 100 && !(complete && !drawnComplete)) return;
        lastDraw = now;
        drawnComplete = complete;
        write(`\r\u001b[2K${text(label, done, total, percent)}`);
        live = true;
        return;
      }
      // Only new highs: the customer look-ups' total grows while the contacts stream, so their share goes
      // down and up again, and a log would repeat "10%" for every dip.
      const step = Math.floor(percent / 10);
      if (step <= lastStep || done >= total) return;
      lastStep = step;
      if (step > 0) write(`${text(label, done, total, step * 10)}\n`);
    },
    clear() {
      if (live) write('\r\u001b[2K');
      live = false;
    },
  };
}

export function createReporter({
  write,
  interactive,
  quiet = false,
  prefix = '',
  timestamps = !interactive,
  now = () => new Date(),
}: ReporterOptions): Reporter {
  const tag = prefix ? `[${prefix}] ` : '';
  const stamp = () => (timestamps ? logTimestamp(now()) : '');
  const line = createProgressLine({ write, interactive, tag, stamp });

  return {
    info(message) {
      if (quiet) return;
      line.clear();
      write(`${stamp()}${tag}${message}\n`);
    },
    warn(message) {
      line.clear();
      write(`${stamp()}${tag}warning: ${message}\n`);
    },
    progress(label, done, total) {
      if (quiet || total === 0) return;
      line.show(label, done, total);
      // A finished task's line goes: what follows says what it did.
      if (done >= total) line.clear();
    },
    echo(text) {
      line.clear();
      write(`${stamp()}${text}\n`);
    },
  };
}

/** A reporter that records lines, for tests. */
export function createMemoryReporter(options: { timestamps?: boolean } = {}): Reporter & {
  lines: string[];
} {
  const lines: string[] = [];
  const reporter = createReporter({
    write: (text) => lines.push(text),
    interactive: false,
    timestamps: options.timestamps ?? false,
  });
  return Object.assign(reporter, { lines });
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
