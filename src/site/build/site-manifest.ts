/**
 * `qwoty-site.json`, written into every site the build makes: which snapshot it was built from. The live site
 * and `data/current` must always name the same one; `npm run rollback` switches them as a pair and checks
 * it, and anyone can (`curl …/qwoty-site.json`). It holds no personal data.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const SITE_MANIFEST_FILE = 'qwoty-site.json';

export const SiteManifestSchema = z.object({
  schema_version: z.literal(1),
  /** The snapshot folder's name in `data/.snapshots/` (its run id), which `data/current` points at. */
  snapshot: z.string().min(1),
  /** When that snapshot's data was fetched. (No build time: the same snapshot gives the same bytes.) */
  generated_at: z.iso.datetime({ offset: true }),
});
export type SiteManifest = z.output<typeof SiteManifestSchema>;

/** Writes the manifest of a site built from the snapshot folder `snapshotDir` into `siteDir`. */
export async function writeSiteManifest(
  siteDir: string,
  from: { snapshotDir: string; generatedAt: string },
): Promise<void> {
  const manifest: SiteManifest = SiteManifestSchema.parse({
    schema_version: 1,
    snapshot: path.basename(from.snapshotDir),
    generated_at: from.generatedAt,
  });
  await writeFile(path.join(siteDir, SITE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The manifest of the site folder `siteDir`, or null when it has none or an unreadable one (a site built before it existed). */
export async function readSiteManifest(siteDir: string): Promise<SiteManifest | null> {
  const text = await readFile(path.join(siteDir, SITE_MANIFEST_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return SiteManifestSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}
