import type { KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GateError } from '../../errors.js';
import type { BuiltExport } from './export.js';
import { manifestBytes, signManifest } from './manifest.js';

export const MANIFEST_FILE = 'MANIFEST.json';
export const SIGNATURE_FILE = 'MANIFEST.json.sig';

/**
 * Writes an export: the files, then MANIFEST.json (canonical bytes, no trailing newline) and
 * MANIFEST.json.sig (base64 Ed25519 over exactly those bytes). Never overwrites: the directory
 * must be new or empty, and every file is created exclusively, so evidence handed out once is
 * never silently replaced by a second export.
 */
export function writeExport(dir: string, built: BuiltExport, signingKey: KeyObject): void {
  prepareDir(dir);
  try {
    for (const [name, bytes] of built.files) writeFileSync(join(dir, name), bytes, { flag: 'wx', mode: 0o600 });
    const manifest = manifestBytes(built.manifest);
    writeFileSync(join(dir, MANIFEST_FILE), manifest, { flag: 'wx', mode: 0o600 });
    writeFileSync(join(dir, SIGNATURE_FILE), `${signManifest(manifest, signingKey)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    throw new GateError('CONFIG_INVALID', `cannot write the export to ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

function prepareDir(dir: string): void {
  let exists = true;
  try {
    if (!statSync(dir).isDirectory()) throw new GateError('USAGE', `${dir} exists and is not a directory`, { hint: 'choose another --out' });
  } catch (error) {
    if (error instanceof GateError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new GateError('CONFIG_INVALID', `cannot use ${dir}: ${(error as Error).message}`);
    exists = false;
  }
  if (exists && readdirSync(dir).length > 0) {
    throw new GateError('USAGE', `refusing to overwrite ${dir}: the directory is not empty`, { hint: 'choose another --out, or move the earlier export aside' });
  }
  // Commands and who ran them are sensitive: the export is as private as the log it comes from.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
