import { readFileSync } from 'node:fs';

/**
 * sha256 (hex) of a file's content, for `allow_scripts` pins; undefined when unreadable. node:crypto
 * is fetched only when a pin is actually checked, so the allow path never pays for loading it.
 */
export function hashFile(path: string): string | undefined {
  try {
    const { createHash } = process.getBuiltinModule('node:crypto');
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}
