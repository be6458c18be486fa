import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

describe('package.json', () => {
  test('has a script for every `npm run` command the README and the workflow name', async () => {
    const workflow = await readFile(new URL('../.github/workflows/nightly.yml', import.meta.url), 'utf8');
    const named = new Set(
      [...`${readme}\n${workflow}`.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((match) => match[1]),
    );
    expect(named.size).toBeGreaterThan(5);
    for (const script of named) expect(pkg.scripts, `npm run ${script}`).toHaveProperty(String(script));
  });
});
