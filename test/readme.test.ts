import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { replaceSettingsTable, settingsTable } from '../src/cli/readme.ts';
import { FETCH_USAGE } from '../src/pipeline/config.ts';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

describe("the README's configuration table", () => {
  test('is the one the command tables generate (run `npm run docs` after changing a setting)', () => {
    expect(replaceSettingsTable(readme)).toBe(readme);
  });

  test('lists every setting the fetch help lists, by variable and by flag', () => {
    const table = settingsTable();
    for (const name of FETCH_USAGE.match(/QWOTY_[A-Z_]+|--[a-z-]+/g) ?? []) {
      if (name === '--help') continue;
      expect(table).toContain(`\`${name}\``);
    }
  });
});
