import { describe, expect, test } from 'vitest';
import buildLogDestination, { attachBuildLog, createBuildLog } from '../src/site/integration/build-log.ts';

/** A build log writing into arrays, as `scripts/build-site.ts` writes into stdout and stderr. */
function capture(config: { verbose?: boolean; interactive?: boolean; expectedPages?: number } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const log = createBuildLog(
    { verbose: false, interactive: false, expectedPages: 100, ...config },
    { out: (text) => out.push(text), err: (text) => err.push(text) },
  );
  return { log, out, err };
}

const info = (message: string) => ({ level: 'info' as const, label: 'build', message, newLine: true });

describe('createBuildLog', () => {
  test('counts the pages Astro rendered and copied, and draws one progress line per tenth', () => {
    const { log, out, err } = capture();
    for (let page = 0; page < 60; page += 1) log.write(info(`  \u001b[2m(+${page}ms)\u001b[22m`));
    for (let page = 0; page < 40; page += 1) log.write(info(`  ├─ /customers/${page}/index.html (cached)`));
    log.write(info('  ├─ /letters/a/index.html (restored)'));
    log.write(info('Completed in 1.2s.'));
    expect(log.counts()).toEqual({ rendered: 60, reused: 41 });
    expect(out).toEqual(
      [10, 20, 30, 40, 50, 60, 70, 80, 90].map((percent) => `[build] pages ${percent}/100 (${percent}%)\n`),
    );
    expect(err).toEqual([]);
  });

  test('passes warnings and errors through to the error output, labelled', () => {
    const { log, out, err } = capture();
    log.write({ level: 'warn', label: 'router', message: 'a route is shadowed', newLine: true });
    log.write({ level: 'error', label: 'SKIP_FORMAT', message: 'it broke', newLine: true });
    log.write({ level: 'debug', label: null, message: 'noise', newLine: true });
    expect(err).toEqual(['[router] warning: a route is shadowed\n', 'it broke\n']);
    expect(out).toEqual([]);
  });

  test('writes everything Astro says with verbose, and no progress line, still counting the pages', () => {
    const { log, out } = capture({ verbose: true, interactive: true });
    log.write(info('  (+3ms)'));
    log.write(info('  ├─ /customers/1/index.html (cached)'));
    log.write(info('Completed in 1.2s.'));
    log.end();
    expect(out).toEqual([
      '[build]   (+3ms)\n',
      '[build]   ├─ /customers/1/index.html (cached)\n',
      '[build] Completed in 1.2s.\n',
    ]);
    // The build's summary adds these to the files it wrote: a verbose build summed up the files alone.
    expect(log.counts()).toEqual({ rendered: 1, reused: 1 });
  });

  test('on a terminal, redraws the line in place and clears it at the end', () => {
    const { log, out } = capture({ interactive: true, expectedPages: 2 });
    log.write(info('  (+3ms)'));
    log.end();
    expect(out).toEqual(['\r\u001b[2K[build] pages 1/2 (50%)', '\r\u001b[2K']);
  });

  test('keeps the counts of each build apart: nothing to reset between builds', () => {
    const first = capture();
    const second = capture();
    first.log.write(info('  (+3ms)'));
    expect(first.log.counts()).toEqual({ rendered: 1, reused: 0 });
    expect(second.log.counts()).toEqual({ rendered: 0, reused: 0 });
  });
});

describe('attachBuildLog', () => {
  test("gives Astro a serializable logger option whose destination is the build's log, until closed", () => {
    const { log } = capture();
    const attached = attachBuildLog(log);
    expect(JSON.parse(JSON.stringify(attached.logger.config))).toEqual(attached.logger.config);
    expect(attached.logger.entrypoint.href).toMatch(/build-log\.ts$/);
    buildLogDestination(attached.logger.config).write(info('  (+3ms)'));
    expect(log.counts()).toEqual({ rendered: 1, reused: 0 });
    attached.close();
    expect(() => buildLogDestination(attached.logger.config)).toThrow(/No site build has a log/);
  });
});
