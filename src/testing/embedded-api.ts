/**
 * The frame of a test that runs the real pipeline against the embedded API: a fresh temporary folder for
 * each test, and every server a test starts closed after it. Call once at the top of a test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createQwotyServer, type QwotyServer, type QwotyServerOptions } from '../fake-api/server.ts';

export interface EmbeddedApiHarness {
  /** This test's temporary folder. */
  dir(): string;
  /** Starts the embedded API with this harness's token; it is closed after the test. */
  serve(options: QwotyServerOptions): Promise<QwotyServer>;
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
  return {
    dir: () => dir,
    async serve(options) {
      const server = await createQwotyServer({ token, ...options });
      servers.push(server);
      return server;
    },
  };
}
