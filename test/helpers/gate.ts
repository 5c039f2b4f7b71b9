import { execa, type Options, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
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

export interface GateOptions {
  readonly home: string;
  readonly env?: Record<string, string | undefined>;
  /** Text or bytes written to gate's stdin, then EOF. */
  readonly input?: string | Uint8Array;
  readonly cwd?: string;
  readonly timeout?: number;
  /** execa strips one trailing newline from stdout/stderr by default; false keeps output byte-exact. */
  readonly stripFinalNewline?: boolean;
  /** Runs gate in a new session (setsid): no controlling terminal, whatever terminal runs the tests. */
  readonly detached?: boolean;
  /** Another entry point than bin/gate.js (e.g. bin/gate-sh.js). */
  readonly bin?: string;
}

/**
 * The hermetic environment gate runs with: its own GATE_HOME (and HOME), fixture executables first
 * on PATH, and nothing inherited (so no agent/CI markers) unless the test sets it.
 */
export function gateEnv(options: Pick<GateOptions, 'home' | 'env'>): Record<string, string | undefined> {
  return {
    PATH: `${FIXTURE_BIN}:${process.env.PATH ?? ''}`,
    HOME: options.home,
    GATE_HOME: options.home,
    LANG: 'C.UTF-8',
    ...options.env,
  };
}

function execaOptions(options: GateOptions & Pick<Options, 'stdin'>) {
  return {
    env: gateEnv(options),
    extendEnv: false,
    reject: false,
    cwd: options.cwd ?? ROOT,
    timeout: options.timeout ?? 20_000,
    stripFinalNewline: options.stripFinalNewline ?? true,
    detached: options.detached ?? false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: options.stdin ?? 'ignore' }),
  } as const;
}

/**
 * Runs the built bin/gate as a real process, with a hermetic environment: its own GATE_HOME,
 * fixture executables first on PATH, and no agent/CI markers unless the test sets them.
 */
export async function runGate(args: readonly string[], options: GateOptions & Pick<Options, 'stdin'>): Promise<GateResult> {
  const result = await execa(process.execPath, [options.bin ?? GATE_BIN, ...args], execaOptions(options));
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export interface RunningGate {
  readonly pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves once stdout contains `text`; rejects after `timeoutMs` or if the process ends first. */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
  /** Sends a signal to gate's own process (not its process group). */
  kill(signal: NodeJS.Signals): void;
  /** Writes to gate's stdin (only when started with stdin: 'pipe'). */
  write(text: string): void;
  endInput(): void;
  /** How the process ended. `code` is -1 when it did not exit normally (killed, timed out). */
  readonly result: Promise<GateResult & { readonly signal: string | undefined }>;
}

function watch(subprocess: ResultPromise): Omit<RunningGate, 'kill'> & { subprocess: ResultPromise } {
  let out = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const decoder = new StringDecoder('utf8');
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    out += decoder.write(chunk);
    for (const wake of waiters) wake();
  });
  const result = subprocess.then((r) => {
    ended = true;
    for (const wake of waiters) wake();
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), signal: r.signal };
  });
  return {
    subprocess,
    pid: subprocess.pid ?? -1,
    stdout: () => out,
    waitForStdout: (text, timeoutMs = 10_000) =>
      new Promise<void>((resolveWait, rejectWait) => {
        const check = (): void => {
          if (out.includes(text)) finish();
          else if (ended) finish(new Error(`process ended before printing ${JSON.stringify(text)}; stdout so far: ${JSON.stringify(out)}`));
        };
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${JSON.stringify(text)}; stdout so far: ${JSON.stringify(out)}`)), timeoutMs);
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) rejectWait(error);
          else resolveWait();
        };
        waiters.add(check);
        check();
      }),
    write: (text) => {
      subprocess.stdin?.write(text);
    },
    endInput: () => {
      subprocess.stdin?.end();
    },
    result,
  };
}

/** Starts bin/gate without waiting for it: for tests that talk to it while it runs (signals). */
export function startGate(args: readonly string[], options: GateOptions & Pick<Options, 'stdin'>): RunningGate {
  const running = watch(execa(process.execPath, [GATE_BIN, ...args], execaOptions(options)));
  return { ...running, kill: (signal) => void process.kill(running.pid, signal) };
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts bin/gate inside a pseudo-terminal with util-linux `script -qec CMD /dev/null`: gate and
 * the command get the pty as stdin/stdout/stderr and as controlling terminal, in its foreground
 * process group, like in an interactive shell. Bytes written with `write` arrive as typed keys.
 * `script -e` exits with the command's exit code.
 */
export function startGateInPty(args: readonly string[], options: Omit<GateOptions, 'input' | 'detached'>): RunningGate {
  // `exec`: no shell stays in between (a waiting /bin/sh would itself die of a Ctrl-C).
  const command = `exec ${[process.execPath, GATE_BIN, ...args].map(shellQuote).join(' ')}`;
  const subprocess = execa('script', ['-qec', command, '/dev/null'], {
    ...execaOptions({ ...options, stdin: 'pipe' }),
    env: { ...gateEnv(options), SHELL: '/bin/sh', TERM: 'dumb' },
  });
  const running = watch(subprocess);
  return { ...running, kill: (signal) => void process.kill(running.pid, signal) };
}
