import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, type Diagnostics } from 'recheck';
import { afterAll, describe, expect, test } from 'vitest';
import { collectRegexes, type RegexSite } from '../src/testing/regex-inventory.ts';

/**
 * Regexes that recheck finds super-linear but that never see API data, each with the reason. A new entry
 * needs one; any other regex in src/ must be linear. Keyed by file and pattern, not line, so edits nearby
 * do not churn the list.
 */
const REVIEWED: Record<string, string> = {
  'src/bench/rate-limits.ts /\\s*;\\s*|\\s*,\\s*(?=window|bucket|none)/':
    "reads the benchmark's own command line, never an API answer",
  'src/bench/site.ts /<(?:link[^>]+rel="stylesheet"[^>]*href|script[^>]+src)="(\\/[^"]+)"/g':
    'reads the home page our own build wrote, to measure its transfer size',
  'src/bench/site.ts /<link[^>]+href="(\\/[^"]+\\.svg)"/g':
    'reads the home page our own build wrote, to measure its transfer size',
  'src/site/build/reports.ts built at run time':
    'the English forms of the quality reasons (our own i18n table): literal parts escaped, each placeholder one lazy group, anchored; reasonText gives it only reasons of at most 500 characters',
  'src/fake-api/faults.ts built at run time':
    "the fake API's fault paths, written by tests: every literal part escaped, `*` becomes `[^/]+`, anchored",
};

/** Fixed, so that the fuzzing checker gives the same verdict on every run. */
const RECHECK_PARAMS = { timeout: 20_000, randomSeed: 1 } as const;

function keyOf(site: RegexSite): string {
  const file = site.where.replace(/:\d+$/, '');
  return site.source === undefined ? `${file} built at run time` : `${file} /${site.source}/${site.flags}`;
}

function verdictOf(diagnostics: Diagnostics): string {
  if (diagnostics.status === 'unknown') return `UNKNOWN (${diagnostics.error.kind})`;
  const label = diagnostics.status === 'safe' ? 'safe' : 'VULNERABLE';
  const { summary } = diagnostics.complexity;
  return summary === 'safe' ? label : `${label}: ${summary}`;
}

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('collectRegexes', () => {
  test('finds literals, RegExp calls and .astro scripts, and recheck flags a catastrophic one', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'regex-inventory-'));
    scratch.push(folder);
    await writeFile(
      join(folder, 'a.ts'),
      "export const f = (s: string) => s.replace(/x/g, '');\nreturn /^(a+)+$/.test(s);\nnew RegExp('b+c', 'i');\nRegExp(s);\n",
    );
    await writeFile(
      join(folder, 'B.astro'),
      "---\nconst a = 'x'.split(/,/);\n---\n<p/>\n<script>\n  /y$/.test('');\n</script>\n",
    );
    const sites = await collectRegexes(folder);
    expect(sites).toEqual([
      { where: 'B.astro:2', source: ',', flags: '' },
      { where: 'B.astro:6', source: 'y$', flags: '' },
      { where: 'a.ts:1', source: 'x', flags: 'g' },
      { where: 'a.ts:2', source: '^(a+)+$', flags: '' },
      { where: 'a.ts:3', source: 'b+c', flags: 'i' },
      { where: 'a.ts:4', source: undefined, flags: '', expression: 'RegExp(s)' },
    ]);
    const diagnostics = await check('^(a+)+$', '', RECHECK_PARAMS);
    expect(diagnostics.status).toBe('vulnerable');
  });
});

describe('every regular expression in src/', () => {
  test('runs in linear time, or is reviewed as never seeing API data', { timeout: 300_000 }, async () => {
    const sites = await collectRegexes('src', '.');
    const rows: string[] = [];
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const site of sites) {
      const key = keyOf(site);
      seen.add(key);
      const reviewed = REVIEWED[key];
      let verdict = 'built at run time';
      let linear = false;
      if (site.source !== undefined) {
        const diagnostics = await check(site.source, site.flags, RECHECK_PARAMS);
        verdict = verdictOf(diagnostics);
        linear = diagnostics.status === 'safe';
      }
      const pattern = site.source === undefined ? site.expression : `/${site.source}/${site.flags}`;
      const note = reviewed && !linear ? `; reviewed: ${reviewed}` : '';
      rows.push(`${site.where}\t${pattern}\t${verdict}${note}`);
      if (!linear && !reviewed) failures.push(`${site.where} ${key.slice(key.indexOf(' ') + 1)}: ${verdict}`);
    }
    console.log(`${sites.length} regular expressions in src/:\n${rows.join('\n')}`);
    expect(sites.length).toBeGreaterThan(50);
    expect(failures, 'make these linear, or bound their input and list them in REVIEWED').toEqual([]);
    expect(
      Object.keys(REVIEWED).filter((key) => !seen.has(key)),
      'reviewed entries whose regex is gone',
    ).toEqual([]);
  });
});
