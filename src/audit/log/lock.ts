import { createRequire } from 'node:module';
import { GateError } from '../../errors.js';

interface FsExt {
  flockSync(fd: number, how: 'ex' | 'exnb' | 'un'): void;
}

let fsExt: FsExt | undefined;

/**
 * flock(2) through the fs-ext addon (Node has no file locking). flock, not a lock file: the kernel
 * drops the lock when its holder dies, so a crashed gate never leaves the log locked. Loaded from
 * node_modules at run time (a native addon cannot be bundled).
 */
function load(): FsExt {
  if (fsExt !== undefined) return fsExt;
  try {
    fsExt = createRequire(import.meta.url)('fs-ext') as FsExt;
    return fsExt;
  } catch (error) {
    throw new GateError('CONFIG_INVALID', `cannot lock the audit log: the fs-ext addon did not load (${(error as Error).message})`, {
      hint: 'reinstall gate (npm ci) so the addon is built; nothing was run',
      cause: error,
    });
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Takes an exclusive lock on `fd`, waiting up to `timeoutMs` for other gate processes (each holds
 * it for one append, milliseconds). Throws when it cannot: the caller fails closed.
 */
export function lockExclusive(fd: number, path: string, timeoutMs: number): void {
  const { flockSync } = load();
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      flockSync(fd, 'exnb');
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw error;
      if (Date.now() >= deadline) {
        throw new GateError('CONFIG_INVALID', `the audit log ${path} stayed locked by another process for ${timeoutMs / 1000} s`, {
          hint: `find the process holding it (fuser ${path}); nothing was run`,
        });
      }
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

export function unlock(fd: number): void {
  load().flockSync(fd, 'un');
}
