/**
 * The permission bits of everything under a folder, for the tests that check what the entry points create
 * is readable by its owner only (`process.umask(0o077)` in src/cli/run-main.ts).
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FileMode {
  /** Relative to the folder walked; '.' for itself. */
  path: string;
  type: 'file' | 'folder';
  /** `0o600` and the like. */
  mode: number;
}

/** Every file and folder under `dir`, itself included; symlinks (whose own bits mean nothing) are not followed. */
export async function listModes(dir: string, under = '.'): Promise<FileMode[]> {
  const info = await lstat(path.join(dir, under));
  if (info.isSymbolicLink()) return [];
  const entry: FileMode = {
    path: under,
    type: info.isDirectory() ? 'folder' : 'file',
    mode: info.mode & 0o777,
  };
  if (!info.isDirectory()) return [entry];
  const names = await readdir(path.join(dir, under));
  const inside = await Promise.all(names.map((name) => listModes(dir, path.join(under, name))));
  return [entry, ...inside.flat()];
}

/** The entries of `modes` whose bits are not `0o700` for a folder or `0o600` for a file, as `path 0644`. */
export function notOwnerOnly(modes: readonly FileMode[]): string[] {
  return modes
    .filter((entry) => entry.mode !== (entry.type === 'folder' ? 0o700 : 0o600))
    .map((entry) => `${entry.path} ${entry.mode.toString(8).padStart(4, '0')}`);
}
