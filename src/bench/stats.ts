/** The arithmetic and the units every benchmark reports in, so their tables read alike. */

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[half] ?? 0) : ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2;
}

/** The value below which `p` (0 to 1) of `values` lie, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

export function seconds(ms: number | undefined, digits = 2): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(digits)} s`;
}

export function megabytes(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)} MB`;
}

export function kilobytes(bytes: number, digits = 0): string {
  return `${(bytes / 1024).toFixed(digits)} kB`;
}
