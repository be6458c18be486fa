/**
 * Reads vCards with a real, independent parser: Debian's python3-vobject, run by `read-vcards.py`. Tests that
 * need it skip themselves with a message when it is missing, except in CI (`CI` set), where they fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The Python that has python3-vobject: Debian's own, not one a version manager puts first on the PATH. */
export const VOBJECT_PYTHON = process.env.VOBJECT_PYTHON ?? '/usr/bin/python3';

const SCRIPT = fileURLToPath(new URL('read-vcards.py', import.meta.url));

export function hasVobject(): boolean {
  return spawnSync(VOBJECT_PYTHON, ['-c', 'import vobject'], { stdio: 'ignore' }).status === 0;
}

/** Why the tests that read vCards are skipped, or fail in CI. */
export const VOBJECT_MISSING = `No python3-vobject for ${VOBJECT_PYTHON}: install it with \`apt-get install -y python3-vobject\` (or set VOBJECT_PYTHON).`;

const AddressSchema = z.object({
  box: z.string(),
  extended: z.string(),
  street: z.string(),
  city: z.string(),
  region: z.string(),
  code: z.string(),
  country: z.string(),
});

/** A card as vobject reads it. */
export const ParsedCardSchema = z.object({
  version: z.string(),
  /** The names of the properties present, sorted. */
  properties: z.string().array(),
  n: z.object({
    family: z.string(),
    given: z.string(),
    additional: z.string(),
    prefix: z.string(),
    suffix: z.string(),
  }),
  fn: z.string(),
  /** Each ORG's units. */
  org: z.string().array().array(),
  title: z.string().array(),
  email: z.string().array(),
  tel: z.string().array(),
  adr: AddressSchema.array(),
  uid: z.string().array(),
});
export type ParsedCard = z.output<typeof ParsedCardSchema>;

/** Every card of `vcf` as vobject reads it; rejects with vobject's error when it cannot. */
export function readVcards(vcf: string | Buffer): Promise<ParsedCard[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      VOBJECT_PYTHON,
      [SCRIPT],
      { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`vobject could not read the vCards: ${stderr || error.message}`));
        else resolve(ParsedCardSchema.array().parse(JSON.parse(stdout)));
      },
    );
    child.stdin?.end(vcf);
  });
}
