// Helpers for end-to-end tests of the approval loop with real processes: `gate serve`, the
// requester (`gate -- cmd`) and the approvers (`gate approve` ...), each with its own GATE_HOME.
import { spawn, type ChildProcess } from 'node:child_process';
import { execa, type ResultPromise } from 'execa';
import { StringDecoder } from 'node:string_decoder';
import type { ApprovalRequest } from '../../src/approval/protocol.js';
import { GATE_BIN, gateEnv, ROOT, runGate, type GateResult } from './gate.js';

/** Every process a test starts; `killAll` (in afterEach) SIGKILLs whatever still runs. */
export class Processes {
  private readonly live = new Set<{ pid: number | undefined; done: () => boolean }>();

  track(pid: number | undefined, done: () => boolean): void {
    this.live.add({ pid, done });
  }

  killAll(): void {
    for (const p of this.live) {
      if (p.pid !== undefined && !p.done()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    this.live.clear();
  }
}

/** Resolves when `check()` returns a value other than undefined; re-checked on every `wake`. */
function waiter<T>(
  check: () => T | undefined,
  ended: () => boolean,
  wakers: Set<() => void>,
  describeState: () => string,
  what: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (value: T | undefined, error?: Error): void => {
      clearTimeout(timer);
      wakers.delete(test);
      if (error) reject(error);
      else resolve(value as T);
    };
    const test = (): void => {
      const value = check();
      if (value !== undefined) finish(value);
      else if (ended()) finish(undefined, new Error(`process ended before ${what}; ${describeState()}`));
    };
    const timer = setTimeout(() => finish(undefined, new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describeState()}`)), timeoutMs);
    wakers.add(test);
    test();
  });
}

// ---------------------------------------------------------------------------------------------
// gate serve

export interface ServeOptions {
  readonly home: string;
  /** Omitted: the server's default, `$GATE_HOME/server/gate.db`. */
  readonly db?: string;
  readonly policy: string;
  /** 0 (default) picks a free port; a number re-binds a known one (restart on the same port). */
  readonly port?: number;
  readonly args?: readonly string[];
}

export interface Served {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** stderr lines so far. */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

function serveOnce(options: ServeOptions, processes: Processes): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      GATE_BIN,
      'serve',
      '--listen',
      `127.0.0.1:${options.port ?? 0}`,
      ...(options.db !== undefined ? ['--db', options.db] : []),
      '--policy',
      options.policy,
      ...(options.args ?? []),
    ],
    { env: { PATH: process.env.PATH, HOME: options.home, GATE_HOME: options.home, LANG: 'C.UTF-8' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  processes.track(child.pid, () => child.exitCode !== null || child.signalCode !== null);
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (lines.length === 1) {
          const match = /^gate serve: listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(lines[0]!);
          if (match) {
            resolve({
              child,
              pid: child.pid!,
              url: match[1]!,
              port: Number(match[2]),
              lines,
              exited,
              alive: () => child.exitCode === null && child.signalCode === null,
            });
          } else reject(new Error(`unexpected first line of gate serve: ${lines[0]}`));
        }
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`gate serve exited (${code ?? signal}) before listening: ${[...lines, buffer].join('\n')}`)));
  });
}

/** Starts `gate serve`; when re-binding a fixed port, retries briefly while the old socket lets go. */
export async function startServe(options: ServeOptions, processes: Processes): Promise<Served> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serveOnce(options, processes);
    } catch (error) {
      if (options.port === undefined || attempt >= 20 || !String(error).includes('EADDRINUSE')) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `gate token create` on the server's database; returns the token. */
export async function createToken(home: string, db: string, name: string, kind: 'human' | 'agent' | 'ci', groups: readonly string[] = []): Promise<string> {
  const result = await runGate(['token', 'create', '--name', name, '--kind', kind, '--db', db, ...(groups.length > 0 ? ['--groups', groups.join(',')] : [])], {
    home,
  });
  if (result.code !== 0) throw new Error(`gate token create ${name} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// gate as a client (requester or approver)

export interface ClientIdentity {
  /** The client's own GATE_HOME (config, pinned server key). */
  readonly home: string;
  readonly url: string;
  readonly token?: string;
  readonly env?: Record<string, string | undefined>;
}

const clientEnv = (who: ClientIdentity): Record<string, string | undefined> => ({
  GATE_SERVER: who.url,
  ...(who.token !== undefined ? { GATE_TOKEN: who.token } : {}),
  ...who.env,
});

/** Runs one gate command as `who` and waits for it. */
export function gateAs(who: ClientIdentity, args: readonly string[], timeout = 20_000): Promise<GateResult> {
  return runGate(args, { home: who.home, env: clientEnv(who), timeout });
}

/** `gate requests [--all] --json` as `who`. */
export async function listRequests(who: ClientIdentity, all = false): Promise<ApprovalRequest[]> {
  const result = await gateAs(who, ['requests', ...(all ? ['--all'] : []), '--json']);
  if (result.code !== 0) throw new Error(`gate requests exited ${result.code}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { requests: ApprovalRequest[] }).requests;
}

export interface WatchedGate {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` on stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the id of the approval request once gate printed it on stderr (plain or JSON lines). */
  requestId(timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** Whether the process has ended. */
  ended(): boolean;
  readonly result: Promise<GateResult & { readonly signal: string | undefined; readonly ms: number }>;
}

/** Starts gate (not waiting for it), watching stdout and stderr as they arrive. */
export function startGateAs(who: ClientIdentity, args: readonly string[], processes: Processes, timeout = 45_000): WatchedGate {
  const started = performance.now();
  const subprocess: ResultPromise = execa(process.execPath, [GATE_BIN, ...args], {
    env: gateEnv({ home: who.home, env: clientEnv(who) }),
    extendEnv: false,
    reject: false,
    cwd: ROOT,
    timeout,
    stdin: 'ignore',
    // Its own session: no controlling terminal, so a signal sent to its pid is the only one it gets.
    detached: true,
  });
  let out = '';
  let err = '';
  let done = false;
  const wakers = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...wakers]) w();
  };
  const outDecoder = new StringDecoder('utf8');
  const errDecoder = new StringDecoder('utf8');
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    out += outDecoder.write(chunk);
    wake();
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    err += errDecoder.write(chunk);
    wake();
  });
  const result = subprocess.then((r) => {
    done = true;
    wake();
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), signal: r.signal, ms: performance.now() - started };
  });
  processes.track(subprocess.pid, () => done);
  const state = (): string => `stderr so far: ${JSON.stringify(err)}`;
  const waitForStderr = (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> =>
    waiter(() => pattern.exec(err) ?? undefined, () => done, wakers, state, `stderr matching ${pattern}`, timeoutMs);
  return {
    pid: subprocess.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    waitForStderr,
    requestId: async (timeoutMs) => (await waitForStderr(/\b(req_[a-z2-7]{20})\b/, timeoutMs))[1]!,
    kill: (signal) => void process.kill(subprocess.pid!, signal),
    ended: () => done,
    result,
  };
}

// ---------------------------------------------------------------------------------------------
// direct HTTP (for what the CLI never does on purpose, e.g. a second claim)

export async function api<T = ApprovalRequest>(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: T & { error?: { code: string; message: string } } }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T & { error?: { code: string; message: string } } };
}

/** Polls `read` until `accept` holds (real signals only: each poll is a real query), or fails. */
export async function pollUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
