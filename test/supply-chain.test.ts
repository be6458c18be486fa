import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';

/** The lockfile's packages that declare an install script, by name. */
async function packagesWithInstallScripts(): Promise<string[]> {
  const lock: { packages: Record<string, { hasInstallScript?: boolean }> } = JSON.parse(
    await readFile('package-lock.json', 'utf8'),
  );
  return Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    .sort();
}

describe('install scripts', () => {
  test('are refused unless listed: .npmrc makes allowScripts a rule, not a warning', async () => {
    const npmrc = (await readFile('.npmrc', 'utf8')).split('\n').map((line) => line.trim());
    expect(npmrc).toContain('strict-allow-scripts=true');
    expect(npmrc.some((line) => /^(dangerously-allow-all-scripts|ignore-scripts)\s*=/.test(line))).toBe(
      false,
    );
  });

  test('run for exactly the packages package.json allows, so npm ci neither fails nor runs one unreviewed', async () => {
    const { allowScripts }: { allowScripts: Record<string, boolean> } = JSON.parse(
      await readFile('package.json', 'utf8'),
    );
    const allowed = Object.entries(allowScripts)
      .filter(([, allow]) => allow)
      .map(([name]) => name)
      .sort();
    expect(await packagesWithInstallScripts()).toEqual(allowed);
  });
});
