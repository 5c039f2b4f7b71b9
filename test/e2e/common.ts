import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll } from 'vitest';
import { FIXTURE_BIN, ROOT, tempDir } from '../helpers/gate.js';

/** Policy fixtures of the end-to-end suite (independent of the shipped policies). */
export const E2E_POLICIES = join(ROOT, 'test', 'fixtures', 'policies', 'e2e');
export const MAIN_POLICY = join(E2E_POLICIES, 'main.yaml');
export const INVALID = join(E2E_POLICIES, 'invalid');
export const SELECT = join(E2E_POLICIES, 'select');
export { FIXTURE_BIN };

/** The suite runs the built CLI: fail with instructions rather than with confusing errors. */
export function requireBuild(): void {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` before the e2e tests');
  });
}

/** A temp directory per call, removed after the current test. */
export function useTempDirs(): (prefix?: string) => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  return (prefix = 'gate-e2e-') => {
    const dir = tempDir(prefix);
    cleanups.push(dir.cleanup);
    return dir.path;
  };
}

/** stdout lines of `print-argv`, decoded back to the argument strings. */
export function decodeArgv(stdout: string): string[] {
  return stdout === '' ? [] : stdout.split('\n').map((line) => JSON.parse(line) as string);
}
