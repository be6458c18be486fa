import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { filesCodeDigest } from '../../src/site/build/customer-files.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scratch: string[] = [];
afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

describe('filesCodeDigest', () => {
  test('hashes a checkout without a lockfile instead of failing the build, and tells it from one with', async () => {
    // The server kit's test checkout once lacked package-lock.json, and every nightly failed with ENOENT.
    const root = await mkdtemp(path.join(tmpdir(), 'qwoty-files-code-'));
    scratch.push(root);
    await cp(path.join(ROOT, 'src'), path.join(root, 'src'), { recursive: true });
    const withoutLock = await filesCodeDigest(root);
    expect(withoutLock).toMatch(/^[0-9a-f]{64}$/);
    await writeFile(path.join(root, 'package-lock.json'), '{}');
    expect(await filesCodeDigest(root)).not.toBe(withoutLock);
    expect(await filesCodeDigest(ROOT)).not.toBe(withoutLock);
  });
});
