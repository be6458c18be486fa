/**
 * `npm run docs`: rewrites the configuration table in README.md and the settings block of the nightly
 * workflow from the command tables, so both say what the code reads. `test/readme.test.ts` and
 * `test/workflow.test.ts` fail when they differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { replaceSettingsTable } from '../src/cli/readme.ts';
import { replaceWorkflowSettings } from '../src/cli/workflow.ts';

const file = new URL('../README.md', import.meta.url);
await writeFile(file, replaceSettingsTable(await readFile(file, 'utf8')));
console.log('README.md: configuration table rewritten from the command tables.');

const workflow = new URL('../.github/workflows/nightly.yml', import.meta.url);
await writeFile(workflow, replaceWorkflowSettings(await readFile(workflow, 'utf8')));
console.log('.github/workflows/nightly.yml: settings block rewritten from the command tables.');
