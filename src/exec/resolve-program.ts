import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type ResolvedProgram =
  | { readonly kind: 'found'; readonly path: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-executable'; readonly path: string; readonly reason: string };

/**
 * Finds the file that will run, the way execvp does: a name with a slash is a path, otherwise the
 * first executable match on PATH. The resolved path is what gets executed (no second lookup).
 */
export function resolveProgram(name: string, pathVar: string | undefined, cwd: string): ResolvedProgram {
  if (name === '') return { kind: 'not-found' };
  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(cwd, name);
    return check(path) ?? { kind: 'not-found' };
  }
  let denied: ResolvedProgram | undefined;
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const result = check(join(dir === '' ? cwd : resolve(cwd, dir), name));
    if (result?.kind === 'found') return result;
    denied ??= result;
  }
  return denied ?? { kind: 'not-found' };
}

function check(path: string): ResolvedProgram | undefined {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined;
  }
  if (stats.isDirectory()) return { kind: 'not-executable', path, reason: 'is a directory' };
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { kind: 'not-executable', path, reason: 'permission denied' };
  }
  return { kind: 'found', path };
}
