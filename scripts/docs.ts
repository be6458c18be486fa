/**
 * `npm run docs`: rewrites the configuration table in README.md from the command tables, so the README says
 * what the code reads. `test/readme.test.ts` fails when they differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { replaceSettingsTable } from '../src/cli/readme.ts';

const file = new URL('../README.md', import.meta.url);
await writeFile(file, replaceSettingsTable(await readFile(file, 'utf8')));
console.log('README.md: configuration table rewritten from the command tables.');
