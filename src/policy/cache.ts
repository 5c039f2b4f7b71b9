import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicySet } from './types.js';

/**
 * A validated PolicySet, keyed by the files it came from. Saves YAML parsing, schema validation
 * and example checks (tens of milliseconds) on every command. An entry is used only while every
 * file keeps its identity: device, inode, size, mtime and ctime (which no user can set back).
 * Any mismatch or unreadable entry is a miss, never a guess. No hashing here: loading node:crypto
 * alone would cost the allow path ~2 ms.
 */
const FORMAT = 5;

type Stamp = string;

function stamp(path: string): Stamp | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/** FNV-1a: only names the entry file; the entry itself records and checks its roots. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

interface Entry {
  readonly format: number;
  readonly version: string;
  readonly roots: readonly string[];
  readonly stamps: readonly Stamp[];
  readonly set: PolicySet;
}

function entryPath(dir: string, key: string): string {
  return join(dir, `policy-${fnv1a(key)}-${key.length}.json`);
}

export function readCachedSet(dir: string, roots: readonly string[], version: string): PolicySet | undefined {
  const key = JSON.stringify([FORMAT, version, roots]);
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(dir, key), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (JSON.stringify([entry.format, entry.version, entry.roots]) !== key) return undefined;
  if (!Array.isArray(entry.stamps) || entry.stamps.length !== entry.set.files.length) return undefined;
  for (let i = 0; i < entry.set.files.length; i++) {
    const current = stamp(entry.set.files[i]!.path);
    if (current === undefined || current !== entry.stamps[i]) return undefined;
  }
  return entry.set;
}

/**
 * What deciding needs: rule examples and `tests:` are checked when the set is validated and are
 * only read again by `gate policy validate|test`, which never use the cache. Half the bytes to read.
 */
function forDeciding(set: PolicySet): PolicySet {
  return { ...set, tests: [], rules: set.rules.map(({ match: _match, not_match: _notMatch, ...rule }) => rule) };
}

/** Best effort: a cache that cannot be written only costs speed. */
export function writeCachedSet(dir: string, roots: readonly string[], version: string, set: PolicySet, stamps: readonly (Stamp | undefined)[]): void {
  if (stamps.some((s) => s === undefined)) return;
  try {
    const key = JSON.stringify([FORMAT, version, roots]);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = entryPath(dir, key);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    const entry: Entry = { format: FORMAT, version, roots, stamps: stamps as Stamp[], set: forDeciding(set) };
    writeFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(temp, target);
  } catch {
    // Ignored on purpose; see above.
  }
}

export { stamp as fileStamp };
