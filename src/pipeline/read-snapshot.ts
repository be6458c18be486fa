/**
 * The one loader of a published snapshot. The site (and anything else that renders a snapshot) reads it
 * through `readSnapshot` and nowhere else: it resolves the live snapshot once, checks every published file
 * against the manifest and parses `contacts.json`, the reports and the change history with the same schemas
 * the pipeline wrote them with, or trusts them when this same publisher wrote them (`snapshot-format.ts`).
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { SnapshotIoError } from '../shared/errors.ts';
import { hashFile } from '../shared/hash-file.ts';
import { rememberLine } from '../shared/line-digests.ts';
import {
  type Manifest,
  type ManifestFile,
  ManifestSchema,
  type Snapshot,
  SnapshotSchema,
} from '../shared/schema/published.ts';
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
import { snapshotFormat } from './snapshot-format.ts';
import { eachSnapshotLine, type SnapshotLinesEnd } from './snapshot-lines.ts';

export interface LoadedSnapshot {
  /** The real folder the snapshot was read from (`current` resolved once). Published files live here. */
  dir: string;
  manifest: Manifest;
  /**
   * True when the manifest names this publisher's format (`snapshot-format.ts`): the parsed files matched
   * their SHA-256 and were not parsed with the schemas again. False when they were (another publisher's).
   */
  trusted: boolean;
  snapshot: Snapshot;
  /** `changes.json`: what changed since the previous snapshot; null for snapshots published without it. */
  changes: ChangesReport | null;
  /** `quality.json`: data-quality findings and rejects; null for snapshots published without it. */
  quality: QualityReport | null;
  /** `changes-history.json`: the last nights' change summaries, newest first; null for snapshots published without it. */
  history: ChangesHistory | null;
}

const FETCH_FIRST = 'run `npm run fetch` (or `npm run demo`) first';

/** The files the loader parses; each is checked against the manifest as it is read, in the same bytes. */
const PARSED_FILES = new Set([jsonExporter.fileName, CHANGES_FILE, QUALITY_FILE, HISTORY_FILE]);

/**
 * Reads the live snapshot of `dataDir`: `dataDir/current` resolved once with `realpath` (so a publish that
 * swaps `current` meanwhile cannot mix two snapshots), or `dataDir` itself when it has no `current`.
 *
 * Every file the manifest lists must have its size and SHA-256. The files it parses are then parsed with
 * their schemas, unless the manifest says they were written by this same publisher (`trusted`, see
 * `snapshot-format.ts`): their bytes are then exactly what a value of the schema's type was written as.
 *
 * @throws {SnapshotIoError} when the snapshot is missing, unreadable, empty, or does not match its manifest.
 */
export async function readSnapshot(dataDir: string): Promise<LoadedSnapshot> {
  const dir = await resolveSnapshotDir(dataDir);
  const manifest = await readManifestOf(dir);
  const listed = new Map(manifest.files.map((file) => [file.name, file]));
  const contactsFile = listed.get(jsonExporter.fileName);
  if (!contactsFile) {
    throw new SnapshotIoError(
      `The manifest in ${dir} does not list contacts.json, so the snapshot cannot be trusted; ${FETCH_FIRST}.`,
    );
  }
  for (const file of manifest.files) {
    if (!PARSED_FILES.has(file.name)) await checkFile(dir, file.name, file.bytes, file.sha256);
  }
  const trusted = manifest.format === snapshotFormat();
  const snapshot = trusted
    ? await readTrustedSnapshot(join(dir, contactsFile.name), contactsFile)
    : await readPublished(dir, contactsFile, SnapshotSchema, false);
  if (snapshot.contacts.length === 0) {
    throw new SnapshotIoError(
      `The snapshot in ${dir} holds no contacts, so there is nothing to show; ${FETCH_FIRST}.`,
    );
  }
  const readReport = async <T extends z.ZodType>(name: string, schema: T): Promise<z.output<T> | null> => {
    const file = listed.get(name);
    return file ? readPublished(dir, file, schema, trusted) : null;
  };
  const changes = await readReport(CHANGES_FILE, ChangesReportSchema);
  const quality = await readReport(QUALITY_FILE, QualityReportSchema);
  const history = await readReport(HISTORY_FILE, ChangesHistorySchema);
  return { dir, manifest, trusted, snapshot, changes, quality, history };
}

async function readManifestOf(dir: string): Promise<Manifest> {
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
  return parseJson(manifestText, ManifestSchema, manifestPath);
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

/**
 * How much of a trusted `contacts.json` is read at a time. Fewer, larger reads than the stream's 64 kB cost
 * less CPU (84 reads instead of 1,340 at 100,000 contacts) and hold one more megabyte at most.
 */
export const CONTACTS_CHUNK_BYTES = 1024 * 1024;

/**
 * This publisher's `contacts.json`, read as it was written (`snapshot-lines.ts`): hashed and counted as it
 * is read, and parsed one record at a time, so that neither the file's bytes nor its text are ever held
 * whole. At 100,000 contacts the whole file's Buffer (88 MB) and its text (up to twice that, as any accent
 * makes it a two-byte string), alive with the parsed contacts, made the peak of the site build: read this
 * way, `readSnapshot` alone peaks about 170 MB lower (a third), for a few percent more CPU. The value is the
 * one `JSON.parse` makes of the whole text, key for key. A file in another layout is read whole.
 */
async function readTrustedSnapshot(path: string, file: ManifestFile): Promise<Snapshot> {
  const hash = createHash('sha256');
  let size = 0;
  let head: Record<string, unknown> | undefined;
  const customers: unknown[] = [];
  const contacts: unknown[] = [];
  const into =
    (list: unknown[], remember = false) =>
    (text: string, bytes: Buffer) => {
      const value = parsedOrUndefined(text);
      if (value === undefined) return false;
      // A contact's line is the whole of it: its digest keys the site cache (`line-digests.ts`).
      if (remember && typeof value === 'object' && value !== null) rememberLine(value, bytes);
      list.push(value);
      return true;
    };
  let end: SnapshotLinesEnd;
  try {
    end = await eachSnapshotLine(path, {
      chunkBytes: CONTACTS_CHUNK_BYTES,
      onChunk: (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      },
      head: (text) => {
        head = parsedOrUndefined(text) as Record<string, unknown> | undefined;
        return head !== undefined;
      },
      customer: into(customers),
      contact: into(contacts, true),
    });
  } catch (error) {
    throw unreadable(path, error);
  }
  // Stopped before its end: another layout, or a line that is not JSON. The whole read says which, with
  // the same checks (a damaged file fails its size or its SHA-256 there as here).
  if (end !== 'read' || head === undefined) {
    // What was parsed so far is dropped first: not held while the whole file is.
    customers.length = 0;
    contacts.length = 0;
    return (await readParsed(path, file)) as Snapshot;
  }
  checkBytes(path, size, file.bytes);
  checkHash(path, hash.digest('hex'), file.sha256);
  // Set on the parsed head, as JSON.parse of the whole text would have: after its other fields.
  head.customers = customers;
  head.contacts = contacts;
  return head as Snapshot;
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function unreadable(path: string, error: unknown): SnapshotIoError {
  const what = isNotFound(error) ? 'is missing' : `could not be read (${describe(error)})`;
  return new SnapshotIoError(`The snapshot file ${path} listed in manifest.json ${what}; ${FETCH_FIRST}.`, {
    cause: error,
  });
}

/** The file's bytes, checked against its manifest entry, as text: read once, hashed in the same bytes. */
async function readVerifiedText(path: string, file: ManifestFile): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  checkBytes(path, bytes.length, file.bytes);
  checkHash(path, createHash('sha256').update(bytes).digest('hex'), file.sha256);
  return bytes.toString('utf8');
}

function parseJson<T extends z.ZodType>(text: string, schema: T, path: string): z.output<T> {
  return validate(parseText(text, path), schema, path);
}

/**
 * A published file's JSON: checked against `schema`, unless `trusted` (this publisher wrote it, and its
 * SHA-256 matched), when it is already a value of the schema's output type. The text is read and parsed in a
 * call of its own, so that nothing holds it any more while the parsed value is validated: at 100,000
 * contacts the text, the parsed JSON and the validated copy held at once made most of a site build's peak
 * memory.
 */
async function readPublished<T extends z.ZodType>(
  dir: string,
  file: ManifestFile,
  schema: T,
  trusted: boolean,
): Promise<z.output<T>> {
  const path = join(dir, file.name);
  const value = await readParsed(path, file);
  return trusted ? (value as z.output<T>) : validate(value, schema, path);
}

async function readParsed(path: string, file: ManifestFile): Promise<unknown> {
  return parseText(await readVerifiedText(path, file), path);
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
    throw unreadable(path, error);
  }
  checkBytes(path, size, bytes);
  checkHash(path, await sha256Of(path), sha256);
}

function checkBytes(path: string, size: number, bytes: number): void {
  if (size !== bytes) {
    throw new SnapshotIoError(
      `The snapshot file ${path} has ${size} bytes but manifest.json says ${bytes}, so the snapshot is damaged; ${FETCH_FIRST}.`,
    );
  }
}

function checkHash(path: string, actual: string, sha256: string): void {
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
