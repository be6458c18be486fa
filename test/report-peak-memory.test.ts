import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { NODE, ROOT } from '../src/testing/build-fixture-site.ts';

const run = promisify(execFile);

describe('scripts/report-peak-memory.ts', () => {
  test("reports the process's peak resident memory on stderr when it exits, at least what it touched", async () => {
    const preload = join(ROOT, 'scripts/report-peak-memory.ts');
    const touch = 'const b = Buffer.alloc(200 * 1024 * 1024, 1); console.log(b[b.length - 1]);';
    const { stdout, stderr } = await run(NODE, ['--import', preload, '-e', touch]);
    expect(stdout.trim()).toBe('1');
    const reported = [...stderr.matchAll(/^\[peak-rss\] (\d+)$/gm)].map((match) => Number(match[1]));
    expect(reported).toHaveLength(1);
    // kB: the 200 MB buffer, every page of it written, plus Node itself.
    expect(reported[0]).toBeGreaterThan(200 * 1024);
    expect(reported[0]).toBeLessThan(2 * 1024 * 1024);
  });

  test('reports once for a process with a worker thread, which the preload also runs in, its memory counted', async () => {
    const preload = join(ROOT, 'scripts/report-peak-memory.ts');
    const dir = await mkdtemp(join(tmpdir(), 'qwoty-peak-'));
    try {
      const worker = join(dir, 'worker.mjs');
      await writeFile(
        worker,
        "import { parentPort } from 'node:worker_threads';\nconst b = Buffer.alloc(200 * 1024 * 1024, 1);\nparentPort.postMessage(b[0]);\n",
      );
      const main = [
        "const { Worker } = require('node:worker_threads');",
        `const worker = new Worker(${JSON.stringify(worker)});`,
        "worker.once('message', (value) => { console.log(value); });",
      ].join('\n');
      // As the benchmarks preload it: through NODE_OPTIONS, which worker threads start with too.
      const { stdout, stderr } = await run(NODE, ['-e', main], {
        env: { ...process.env, NODE_OPTIONS: `--import ${preload}` },
      });
      expect(stdout.trim()).toBe('1');
      const reported = [...stderr.matchAll(/^\[peak-rss\] (\d+)$/gm)].map((match) => Number(match[1]));
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeGreaterThan(200 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
