/**
 * Builds the real site (`scripts/build-site.ts`, in a child process like `npm run build`) from a fixture
 * snapshot, into temporary folders. Shared by the page tests, the end-to-end tests and the site benchmark.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../shared/schema/published.ts';
import type { Lang } from '../site/shared/text.ts';
import { makeSnapshot, type PublishOptions, writePublishedSnapshot } from './site-fixture.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Node 22 from the `node` devDependency when present (the system one may be too old for Astro). */
export const NODE = existsSync(join(ROOT, 'node_modules/.bin/node'))
  ? join(ROOT, 'node_modules/.bin/node')
  : process.execPath;

export interface BuildResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunBuildOptions {
  /** The incremental-build cache; `<siteDir>-cache` by default, so parallel tests never share one. */
  cacheDir?: string;
  /** Copy unchanged pages from the cache; off by default: every page is rendered, as on a first night. */
  reuse?: boolean;
  /** Only the progress line and the summary instead of Astro's list of routes, which tests read. */
  quiet?: boolean;
  /** More environment for the build, such as `QWOTY_SITE_LANG`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `scripts/build-site.ts` with `QWOTY_DATA_DIR`, `QWOTY_SITE_DIR` and `QWOTY_SITE_CACHE_DIR`; never
 * throws on a failed build.
 */
export function runBuild(
  dataDir: string,
  siteDir: string,
  options: RunBuildOptions = {},
): Promise<BuildResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      NODE,
      ['scripts/build-site.ts', ...(options.quiet ? [] : ['--verbose'])],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          QWOTY_DATA_DIR: dataDir,
          QWOTY_SITE_DIR: siteDir,
          QWOTY_SITE_CACHE_DIR: options.cacheDir ?? `${siteDir}-cache`,
          QWOTY_SITE_REBUILD: options.reuse ? '0' : '1',
          ASTRO_TELEMETRY_DISABLED: '1',
          ...options.env,
        },
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

export interface FixtureSite {
  /** The temporary folder holding `data` and `dist`; remove it when done. */
  dir: string;
  dataDir: string;
  siteDir: string;
  snapshot: Snapshot;
  build: BuildResult;
}

/** Publishes a fixture snapshot of `contacts` contacts and builds the site from it; throws if the build fails. */
export async function buildFixtureSite(options: {
  contacts: number;
  demo?: boolean;
  dir?: string;
  /** The site's language (`QWOTY_SITE_LANG`); English by default. */
  lang?: Lang;
  /** The path it is served under (`QWOTY_SITE_BASE`); `/` by default. */
  base?: string;
  /** How to publish it (previous snapshot, rejects); a first run with one reject by default. */
  publish?: (snapshot: Snapshot) => PublishOptions;
}): Promise<FixtureSite> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'qwoty-site-')));
  const dataDir = join(dir, 'data');
  const siteDir = join(dir, 'dist');
  const snapshot = makeSnapshot({ contacts: options.contacts, demo: options.demo ?? true });
  await writePublishedSnapshot(dataDir, snapshot, options.publish?.(snapshot));
  const build = await runBuild(dataDir, siteDir, {
    env: { QWOTY_SITE_LANG: options.lang ?? 'en', QWOTY_SITE_BASE: options.base ?? '/' },
  });
  if (build.code !== 0) {
    throw new Error(`The site build failed (exit ${build.code}):\n${build.stderr || build.stdout}`);
  }
  return { dir, dataDir, siteDir, snapshot, build };
}
