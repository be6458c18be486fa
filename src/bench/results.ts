/** Where the benchmarks leave their figures: `.bench/*.json`, and the table in the README on request. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceBlock } from '../cli/readme.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

/** Writes `results` as `.bench/<name>.json`; returns the path. */
export async function saveResults(name: string, results: unknown): Promise<string> {
  const file = path.join(ROOT, '.bench', `${name}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** Replaces the table between the bench markers in README.md. */
export async function writeReadmeTable(table: string): Promise<void> {
  await writeReadmeBlock(README_START, README_END, table);
}

/** Replaces the text between the `start` and `end` markers in README.md. */
export async function writeReadmeBlock(start: string, end: string, body: string): Promise<void> {
  const file = path.join(ROOT, 'README.md');
  await writeFile(file, replaceBlock(await readFile(file, 'utf8'), start, end, body));
}
