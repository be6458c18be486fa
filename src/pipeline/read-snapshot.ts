/**
 * The one loader of a published snapshot. The site (and anything else that renders a snapshot) reads it
 * through `readSnapshot` and nowhere else: it resolves the live snapshot once, checks every published file
 * against the manifest and parses `contacts.json`, the reports and the change history with the same schemas
 * the pipeline wrote them with.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { SnapshotIoError } from '../shared/errors.ts';
import { hashFile } from '../shared/hash-file.ts';
import { type Manifest, ManifestSchema, type Snapshot, SnapshotSchema } from '../shared/schema/published.ts';
import {
  type ChangesHistory,
  ChangesHistorySchema,
  type ChangesReport,
  ChangesReportSchema,
  type QualityReport,
  QualityReportSchema,
} from '../shared/schema/reports.ts';
import { jsonExporter } from './exporters/json.ts';
import { CURRENT_LINK, MANIFEST_FILE } from './publish.ts';
import { CHANGES_FILE, HISTORY_FILE, QUALITY_FILE } from './reports/files.ts';

export interface LoadedSnapshot {
  /** The real folder the snapshot was read from (`current` resolved once). Published files live here. */
  dir: string;
  manifest: Manifest;
  snapshot: Snapshot;
  /** `changes.json`: what changed since the previous snapshot; null for snapshots published without it. */
  changes: ChangesReport | null;
  /** `quality.json`: data-quality findings and rejects; null for snapshots published without it. */
  quality: QualityReport | null;
  /** `changes-history.json`: the last nights' change summaries, newest first; null for snapshots published without it. */
  history: ChangesHistory | null;
}

const FETCH_FIRST = 'run `npm run fetch` (or `npm run demo`) first';

/**
 * Reads the live snapshot of `dataDir`: `dataDir/current` resolved once with `realpath` (so a publish that
 * swaps `current` meanwhile cannot mix two snapshots), or `dataDir` itself when it has no `current`.
 *
 * @throws {SnapshotIoError} when the snapshot is missing, unreadable, empty, or does not match its manifest.
 */
export async function readSnapshot(dataDir: string): Promise<LoadedSnapshot> {
  const dir = await resolveSnapshotDir(dataDir);
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    const why = isNotFound(error)
      ? 'it has no manifest.json'
      : `its manifest.json could not be read (${describe(error)})`;
    throw new SnapshotIoError(`There is no snapshot in ${dir}: ${why}; ${FETCH_FIRST}.`, { cause: error });
  }
  const manifest = parseJson(manifestText, ManifestSchema, manifestPath);
  for (const file of manifest.files) {
    await checkFile(dir, file.name, file.bytes, file.sha256);
  }
  if (!manifest.files.some((file) => file.name === jsonExporter.fileName)) {
    throw new SnapshotIoError(
      `The manifest in ${dir} does not list contacts.json, so the snapshot cannot be trusted; ${FETCH_FIRST}.`,
    );
  }
  const contactsPath = join(dir, jsonExporter.fileName);
  const snapshot = await readJson(contactsPath, SnapshotSchema);
  if (snapshot.contacts.length === 0) {
    throw new SnapshotIoError(
      `The snapshot in ${dir} holds no contacts, so there is nothing to show; ${FETCH_FIRST}.`,
    );
  }
  const listed = (name: string) => manifest.files.some((file) => file.name === name);
  const readReport = async <T extends z.ZodType>(name: string, schema: T): Promise<z.output<T> | null> =>
    listed(name) ? readJson(join(dir, name), schema) : null;
  const changes = await readReport(CHANGES_FILE, ChangesReportSchema);
  const quality = await readReport(QUALITY_FILE, QualityReportSchema);
  const history = await readReport(HISTORY_FILE, ChangesHistorySchema);
  return { dir, manifest, snapshot, changes, quality, history };
}

/** The snapshot folder `readSnapshot(dataDir)` reads: `dataDir/current` resolved, or `dataDir` itself. */
export async function resolveSnapshotDir(dataDir: string): Promise<string> {
  const root = resolve(dataDir);
  try {
    return await realpath(join(root, CURRENT_LINK));
  } catch (error) {
    if (!isNotFound(error)) {
      throw new SnapshotIoError(
        `Could not resolve ${join(root, CURRENT_LINK)} (${describe(error)}); ${FETCH_FIRST}.`,
        {
          cause: error,
        },
      );
    }
  }
  try {
    return await realpath(root);
  } catch (error) {
    throw new SnapshotIoError(`There is no snapshot in ${root} (${describe(error)}); ${FETCH_FIRST}.`, {
      cause: error,
    });
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const what = isNotFound(error) ? 'is missing' : `could not be read (${describe(error)})`;
    throw new SnapshotIoError(`The snapshot file ${path} ${what}; ${FETCH_FIRST}.`, { cause: error });
  }
}

function parseJson<T extends z.ZodType>(text: string, schema: T, path: string): z.output<T> {
  return validate(parseText(text, path), schema, path);
}

/**
 * The file's JSON, checked against `schema`. The text is read and parsed in a call of its own, so that
 * nothing holds it any more while the parsed value is validated: at 100,000 contacts the text, the parsed
 * JSON and the validated copy held at once made most of a site build's peak memory.
 */
async function readJson<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>> {
  return validate(await readParsed(path), schema, path);
}

async function readParsed(path: string): Promise<unknown> {
  return parseText(await readText(path), path);
}

function parseText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SnapshotIoError(
      `The snapshot file ${path} is not valid JSON (${describe(error)}); ${FETCH_FIRST}.`,
      {
        cause: error,
      },
    );
  }
}

function validate<T extends z.ZodType>(value: unknown, schema: T, path: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new SnapshotIoError(
      `The snapshot file ${path} does not have the expected shape (${issue?.message ?? 'invalid'}${where}); ${FETCH_FIRST}.`,
      { cause: result.error },
    );
  }
  return result.data;
}

async function checkFile(dir: string, name: string, bytes: number, sha256: string): Promise<void> {
  const path = join(dir, name);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const what = isNotFound(error) ? 'is missing' : `could not be read (${describe(error)})`;
    throw new SnapshotIoError(`The snapshot file ${path} listed in manifest.json ${what}; ${FETCH_FIRST}.`, {
      cause: error,
    });
  }
  if (size !== bytes) {
    throw new SnapshotIoError(
      `The snapshot file ${path} has ${size} bytes but manifest.json says ${bytes}, so the snapshot is damaged; ${FETCH_FIRST}.`,
    );
  }
  const actual = await sha256Of(path);
  if (actual !== sha256) {
    throw new SnapshotIoError(
      `The snapshot file ${path} does not match the SHA-256 in manifest.json, so the snapshot is damaged; ${FETCH_FIRST}.`,
    );
  }
}

/** The file's SHA-256; an unreadable file is a damaged snapshot. */
async function sha256Of(path: string): Promise<string> {
  try {
    return (await hashFile(path)).sha256;
  } catch (error) {
    throw new SnapshotIoError(
      `The snapshot file ${path} could not be read (${describe(error)}); ${FETCH_FIRST}.`,
      {
        cause: error,
      },
    );
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}
