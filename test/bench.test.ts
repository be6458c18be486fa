import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BENCH_COMMAND, BENCH_SITE_COMMAND } from '../src/bench/commands.ts';
import { FETCH_RUN_MODES, measureFetchRunInChild } from '../src/bench/fetch-runs.ts';
import { DEFAULT_RATE_LIMIT_SCENARIOS } from '../src/bench/rate-limits.ts';
import { median, percentile } from '../src/bench/stats.ts';
import { replaceBlock } from '../src/cli/readme.ts';
import { parseCommand } from '../src/shared/command.ts';
import { ConfigError } from '../src/shared/errors.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';

const TOKEN = 'bench-test-token';
const api = useEmbeddedApi(TOKEN, 'bench');

describe('the benchmark commands', () => {
  const parse = (argv: string[]) => {
    const parsed = parseCommand(BENCH_COMMAND, {}, argv);
    if (parsed.help) throw new Error('unexpected help');
    return parsed.values;
  };

  test('read their flags through the command table, with the documented defaults', () => {
    expect(parse([])).toEqual({
      sizes: [1000, 10_000, 100_000],
      runs: 3,
      latencyMs: 0,
      noSite: false,
      writeReadme: false,
      limit: undefined,
      limitContacts: [2000, 10_000],
    });
    expect(parse(['--sizes', '200, 5000', '--no-site', '--latency', '20'])).toMatchObject({
      sizes: [200, 5000],
      noSite: true,
      latencyMs: 20,
    });
    expect(parse(['--limit', 'all']).limit).toBe(DEFAULT_RATE_LIMIT_SCENARIOS);
    expect(parse(['--limit', 'bucket:40/s']).limit).toBe('bucket:40/s');
    const site = parseCommand(BENCH_SITE_COMMAND, {}, ['--contacts', '500']);
    expect(site).toEqual({ help: false, values: { contacts: 500, runs: 1 } });
  });

  test.each([
    [['--sizes', '1000,x'], '--sizes'],
    [['--runs', '0'], '--runs'],
    [['--limit', 'window:often'], '--limit'],
    [['--sites'], 'sites'],
  ])('refuse %j before anything runs, naming the flag', (argv, named) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(named);
  });
});

describe('a measured fetch run', () => {
  test.each(FETCH_RUN_MODES)(
    '%s runs in its own process and reports its time and peak memory',
    async (mode) => {
      const server = await api.serve({ contacts: 120, seed: 3 });
      const dir = path.join(api.dir(), mode);
      await mkdir(dir);
      const measured = await measureFetchRunInChild({ mode, url: server.url, token: TOKEN, dir });
      expect(measured.ms).toBeGreaterThan(0);
      expect(measured.maxRssMb).toBeGreaterThan(10);
      if (mode === 'pipeline') {
        // A real run: the snapshot published, with every contact of the workspace.
        const manifest = JSON.parse(await readFile(path.join(dir, 'current', 'manifest.json'), 'utf8'));
        expect(manifest.counts.contacts).toBe(120);
      } else {
        const written = JSON.parse(await readFile(path.join(dir, 'baseline.json'), 'utf8'));
        expect(written.contacts).toHaveLength(120);
        expect(await readdir(dir)).toEqual(['baseline.json']);
      }
    },
  );

  test('a failed run is an error, not a figure', async () => {
    const server = await api.serve({ contacts: 10, seed: 3 });
    await expect(
      measureFetchRunInChild({ mode: 'pipeline', url: server.url, token: 'wrong-token', dir: api.dir() }),
    ).rejects.toThrow('The pipeline run failed with exit code');
  });
});

describe('the figures', () => {
  test('median and percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(percentile([5, 1, 4, 2, 3], 0.95)).toBe(4);
    expect(percentile([5, 1, 4, 2, 3], 1)).toBe(5);
  });

  test('go into the README between the bench markers', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const updated = replaceBlock(readme, '<!-- bench:start -->', '<!-- bench:end -->', '| new table |');
    expect(updated).toContain('<!-- bench:start -->\n| new table |\n<!-- bench:end -->');
    expect(updated.length).toBeLessThan(readme.length);
  });
});
