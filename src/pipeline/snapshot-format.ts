/**
 * The format of a published snapshot, as one string the publisher records in `manifest.json` (`format`) and
 * the loader compares with its own. When they are equal, the files were written from values of the types
 * the loader's schemas describe, by a writer that writes them as those schemas read them; the manifest's
 * SHA-256 then proves the bytes are the ones written, and parsing them with the schemas again would only
 * repeat work (at 100,000 contacts, seconds of CPU and a second copy of every contact in memory on every
 * night). Any other value, or none (an older or newer publisher, a hand-placed snapshot), is parsed with
 * the schemas.
 *
 * The fingerprint is derived from the schemas themselves (their JSON Schema, as read and as written), so a
 * change of any field, type or constraint changes it without anyone remembering to; `WRITER_REVISION` is for
 * the rest: a change of what the writer puts in a field that leaves the schemas as they are.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SnapshotSchema } from '../shared/schema/published.ts';
import { ChangesHistorySchema, ChangesReportSchema, QualityReportSchema } from '../shared/schema/reports.ts';

/** Bump when the publisher writes a field differently while every schema stays the same. */
const WRITER_REVISION = 1;

/** The schemas the loader parses published files with (`read-snapshot.ts`). */
const PUBLISHED_SCHEMAS = [SnapshotSchema, ChangesReportSchema, QualityReportSchema, ChangesHistorySchema];

let format: string | undefined;

/** `w<revision>-<hash>`: the same in the publisher and the loader of one version of this code. */
export function snapshotFormat(): string {
  format ??= formatOf(PUBLISHED_SCHEMAS, WRITER_REVISION);
  return format;
}

/** The format of files read with `schemas`, written by revision `revision` of their writer. */
export function formatOf(schemas: readonly z.ZodType[], revision: number): string {
  const hash = createHash('sha256');
  for (const schema of schemas) {
    for (const io of ['input', 'output'] as const) {
      // Transforms cannot be described in JSON Schema; their input and output types are, on each side.
      hash.update(JSON.stringify(z.toJSONSchema(schema, { io, unrepresentable: 'any' })));
    }
  }
  return `w${revision}-${hash.digest('hex').slice(0, 16)}`;
}
