/**
 * The frame of a test that runs the real pipeline against the embedded API: a fresh temporary folder for
 * each test, and every server a test starts closed after it. Call once at the top of a test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createQwotyServer, type QwotyServer, type QwotyServerOptions } from '../fake-api/server.ts';
import { type FetchConfig, parseFetchConfig } from '../pipeline/config.ts';
import { type FetchRunResult, runFetch } from '../pipeline/run-fetch.ts';
import { createMemoryReporter } from '../shared/reporter.ts';

export interface EmbeddedApiHarness {
  /** This test's temporary folder. */
  dir(): string;
  /** Starts the embedded API with this harness's token; it is closed after the test. */
  serve(options: QwotyServerOptions): Promise<QwotyServer>;
  /** The fetch settings for `server` into this test's folder: the token, 2 retries, then `env` and `argv`. */
  config(server: QwotyServer, env?: Record<string, string>, argv?: string[]): FetchConfig;
  /** A real fetch run with `config(…)`; what it printed is in `lines`. */
  fetch(
    server: QwotyServer,
    env?: Record<string, string>,
    argv?: string[],
  ): Promise<FetchRunResult & { lines: string[] }>;
}

export function useEmbeddedApi(token: string, prefix: string): EmbeddedApiHarness {
  let dir = '';
  let servers: QwotyServer[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `qwoty-${prefix}-`));
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
    await rm(dir, { recursive: true, force: true });
  });
  const config = (server: QwotyServer, env: Record<string, string> = {}, argv: string[] = []) => {
    const parsed = parseFetchConfig(
      { QWOTY_API_TOKEN: token, QWOTY_API_URL: server.url, QWOTY_DATA_DIR: dir, QWOTY_RETRIES: '2', ...env },
      argv,
    );
    if (parsed.help) throw new Error('unexpected help');
    return parsed.config;
  };
  return {
    dir: () => dir,
    async serve(options) {
      const server = await createQwotyServer({ token, ...options });
      servers.push(server);
      return server;
    },
    config,
    async fetch(server, env, argv) {
      const reporter = createMemoryReporter();
      const result = await runFetch({
        config: config(server, env, argv),
        reporter,
        tool: { name: 'test', version: '0' },
        pid: process.pid,
      });
      return { ...result, lines: reporter.lines };
    },
  };
}
