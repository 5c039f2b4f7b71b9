import { spawn } from 'node:child_process';
import { FORWARDED_SIGNALS, deliveredByTerminal, signalExitCode, type ForwardedSignal } from './signals.js';

/** How a child ended; `code` is what gate exits with. */
export type ExecOutcome =
  | { readonly kind: 'exited'; readonly code: number; readonly durationMs: number }
  | { readonly kind: 'signaled'; readonly signal: NodeJS.Signals; readonly code: number; readonly durationMs: number }
  | { readonly kind: 'spawn-failed'; readonly code: 126 | 127; readonly message: string; readonly durationMs: number };

export interface ExecRequest {
  /** The resolved file to execute. */
  readonly file: string;
  /** argv exactly as given; argv[0] is passed through as the child's argv[0]. */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Runs the command with gate's own stdin/stdout/stderr (so a TTY stays a TTY) and no shell in
 * between, forwarding termination signals. Uses node:child_process directly rather than execa:
 * with inherited stdio execa adds nothing here, and loading it costs ~20 ms on every command.
 */
export function runInherited(request: ExecRequest): Promise<ExecOutcome> {
  const started = process.hrtime.bigint();
  // process.hrtime, not performance.now(): perf_hooks costs start-up time on every command.
  const elapsed = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    const child = spawn(request.file, request.argv.slice(1), {
      argv0: request.argv[0],
      cwd: request.cwd,
      env: request.env,
      stdio: 'inherit',
    });
    const handlers = new Map<ForwardedSignal, () => void>();
    for (const signal of FORWARDED_SIGNALS) {
      const handler = (): void => {
        if (!deliveredByTerminal(signal)) child.kill(signal);
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    const done = (outcome: ExecOutcome): void => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(outcome);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code === 'ENOENT' ? 127 : 126;
      done({ kind: 'spawn-failed', code, message: error.message, durationMs: elapsed() });
    });
    child.once('exit', (code, signal) => {
      if (signal !== null) done({ kind: 'signaled', signal, code: signalExitCode(signal), durationMs: elapsed() });
      else done({ kind: 'exited', code: code ?? 0, durationMs: elapsed() });
    });
  });
}
