import { execa, type Options } from 'execa';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const GATE_BIN = join(ROOT, 'bin', 'gate.js');
export const FIXTURE_BIN = join(ROOT, 'test', 'fixtures', 'bin');
export const POLICIES = join(ROOT, 'policies');

export interface GateResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh GATE_HOME per test file (or per test), removed afterwards. */
export function tempDir(prefix = 'gate-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeFile(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/**
 * Runs the built bin/gate as a real process, with a hermetic environment: its own GATE_HOME,
 * fixture executables first on PATH, and no agent/CI markers unless the test sets them.
 */
export async function runGate(
  args: readonly string[],
  options: { home: string; env?: Record<string, string | undefined>; input?: string; cwd?: string; timeout?: number } & Pick<Options, 'stdin'>,
): Promise<GateResult> {
  const env: Record<string, string | undefined> = {
    PATH: `${FIXTURE_BIN}:${process.env.PATH ?? ''}`,
    HOME: options.home,
    GATE_HOME: options.home,
    LANG: 'C.UTF-8',
    ...options.env,
  };
  const result = await execa(process.execPath, [GATE_BIN, ...args], {
    env,
    extendEnv: false,
    reject: false,
    cwd: options.cwd ?? ROOT,
    timeout: options.timeout ?? 20_000,
    ...(options.input !== undefined ? { input: options.input } : { stdin: options.stdin ?? 'ignore' }),
  });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
