import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditDir, hostKeyPath, openHostLog } from '../../src/audit/command-trail.js';
import { AuditLogFile } from '../../src/audit/log/log-file.js';
import { encodeRecord, lineHash, splitLines } from '../../src/audit/log/line.js';
import type { AuditRecord, CommandNotRun } from '../../src/audit/log/record.js';
import { verifyLog, type VerifyReport } from '../../src/audit/log/verify.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../src/crypto/signing-key.js';
import { GateError } from '../../src/errors.js';
import { ROOT, runGate, startGate, tempDir, writeFile } from '../helpers/gate.js';
import { newKey } from '../fixtures/audit/realistic-log.js';
import { requireBuild } from '../e2e/common.js';

// The host's audit log file: what one append leaves on disk, what it refuses to extend, how a
// crash's partial line is kept, and that concurrent writers (real processes) never interleave.

requireBuild();

let root: { path: string; cleanup: () => void };
let n = 0;
/** A fresh directory per test, under one root removed at the end. */
const fresh = (): string => {
  const dir = join(root.path, `t${++n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const children = new Set<ChildProcess>();
let worker = '';

beforeAll(async () => {
  root = tempDir('gate-audit-log-');
  // The append worker is TypeScript that imports the sources: bundle it once, run it with plain node.
  const { build } = await import('esbuild');
  worker = join(root.path, 'append-worker.mjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'fixtures', 'audit', 'append-worker.ts')],
    outfile: worker,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import{createRequire as __gateRequire}from'node:module';const require=__gateRequire(import.meta.url);" },
  });
});

afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => root?.cleanup());

const readRecords = (path: string): AuditRecord[] =>
  splitLines(readFileSync(path)).lines.map((l) => JSON.parse(l.subarray(0, l.indexOf(0x09)).toString('utf8')) as AuditRecord);

const verifyWith = (path: string, key: Pick<SigningKey, 'publicKey'>): VerifyReport => verifyLog(readFileSync(path), { publicKey: key.publicKey, serverKeys: new Set() });

const denied = (i: number, who = 'dev'): CommandNotRun => ({
  host: 'test-host',
  os_user: who,
  principal: { name: who, kind: 'human', source: 'local' },
  command: { argv: ['rm', '-rf', `/tmp/${i}`], cwd: '/', host: 'test-host', program_path: '/usr/bin/rm' },
  policy: { digest: 'f'.repeat(64), decision: 'deny', rules: ['rm-recursive'], signals: [] },
  times: { requested: new Date().toISOString(), decided: new Date().toISOString() },
  outcome: 'denied_by_policy',
});

const logFile = (path: string, key: SigningKey, lockTimeoutMs?: number): AuditLogFile =>
  new AuditLogFile({ path, key, host: 'test-host', gateVersion: 'test', ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });

const testKey = (dir: string): SigningKey => loadOrCreateSigningKey(join(dir, 'key.pem'), 'the test key');

/** Expects `fn` to throw a GateError with `code`; returns it. */
function gateError(fn: () => unknown, code: GateError['code']): GateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GateError);
    expect((error as GateError).code).toBe(code);
    return error as GateError;
  }
  throw new Error('expected a GateError');
}

/** Runs the bundled append worker; resolves with how it ended and its stdout. */
function runWorker(args: readonly string[]): { child: ChildProcess; started: Promise<void>; ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [worker, ...args], {
    // fs-ext (the flock addon) is resolved at run time from the repository's node_modules.
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let wake: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (wake = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('appending')) wake();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, started, ended };
}

describe('AuditLogFile.append', () => {
  it('the first append writes log.opened, then the record; the log is 0600 in a 0700 directory and the host key 0600', () => {
    const home = fresh();
    const log = openHostLog(home, {}, {});
    const appended = log.append('command.not_run', denied(1));
    const path = join(auditDir(home), 'audit.log');
    expect(log.path).toBe(path);
    const records = readRecords(path);
    expect(records.map((r) => [r.seq, r.event])).toEqual([
      [0, 'log.opened'],
      [1, 'command.not_run'],
    ]);
    const key = loadOrCreateSigningKey(hostKeyPath(home), 'key');
    expect(records[0]!.data).toMatchObject({ public_key: key.spki, gate_version: expect.any(String) });
    expect(records.every((r) => r.log === key.keyId)).toBe(true);
    expect(appended.record).toEqual(records[1]);
    expect(appended.head).toEqual({ seq: 1, hash: lineHash(splitLines(readFileSync(path)).lines[1]!) });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(auditDir(home)).mode & 0o777).toBe(0o700);
    expect(statSync(hostKeyPath(home)).mode & 0o777).toBe(0o600);
    const report = verifyWith(path, key);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it('later appends extend the chain (no second log.opened) and head() reports the last record', () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    const log = logFile(path, key);
    for (let i = 0; i < 5; i++) log.append('command.not_run', denied(i));
    expect(readRecords(path).map((r) => r.event)).toEqual(['log.opened', ...Array(5).fill('command.not_run')]);
    const lines = splitLines(readFileSync(path)).lines;
    expect(log.head()).toEqual({ seq: 5, hash: lineHash(lines[5]!) });
    expect(verifyWith(path, key).verified).toBe(6);
  });

  it('a last record larger than the 64 KiB read window (a 300 KB shell text) is found and extended', () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    const log = logFile(path, key);
    const huge = denied(1);
    log.append('command.not_run', { ...huge, command: { ...huge.command, shell_text: `echo ${'x'.repeat(300_000)}` } });
    log.append('command.not_run', denied(2));
    // ... and a crash left 70 KB of the next huge record after it.
    const next = encodeRecord(log.head(), key.keyId, 'command.not_run', { ...huge, command: { ...huge.command, shell_text: `echo ${'y'.repeat(300_000)}` } }, new Date(), key.privateKey);
    appendFileSync(path, next.line.subarray(0, 70_000));
    log.append('command.not_run', denied(3));
    expect(readRecords(path).map((r) => r.event)).toEqual(['log.opened', 'command.not_run', 'command.not_run', 'log.recovered', 'command.not_run']);
    const report = verifyWith(path, key);
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toEqual(['recovered_partial']);
  });

  describe('refuses to extend a log it cannot vouch for (CONFIG_INVALID; the file is left as it is)', () => {
    const cases: Record<string, (path: string, own: SigningKey) => void> = {
      'the last record is signed by another key (another host’s log)': (path) => {
        const other = newKey();
        const a = encodeRecord(undefined, other.keyId, 'log.opened', { host: 'other', public_key: other.spki, gate_version: 'x' }, new Date(), other.privateKey);
        writeFileSync(path, a.line);
      },
      'the last record carries our log id but a signature by another key': (path, own) => {
        logFile(path, own).append('command.not_run', denied(1));
        const other = newKey();
        const records = readRecords(path);
        const head = { seq: 1, hash: lineHash(splitLines(readFileSync(path)).lines[1]!) };
        appendFileSync(path, encodeRecord(head, own.keyId, 'command.not_run', records[1]!.data as CommandNotRun, new Date(), other.privateKey).line);
      },
      'the last record was altered': (path, own) => {
        logFile(path, own).append('command.not_run', denied(1));
        const bytes = readFileSync(path);
        writeFileSync(path, Buffer.from(bytes.toString('utf8').replace('/tmp/1', '/tmp/2')));
      },
      'the last line is not a record': (path, own) => {
        logFile(path, own).append('command.not_run', denied(1));
        appendFileSync(path, 'hello world\n');
      },
    };
    for (const [name, prepare] of Object.entries(cases)) {
      it(name, () => {
        const dir = fresh();
        const own = testKey(dir);
        const path = join(dir, 'audit.log');
        prepare(path, own);
        const before = readFileSync(path);
        const error = gateError(() => logFile(path, own).append('command.not_run', denied(9)), 'CONFIG_INVALID');
        expect(error.message).toContain('cannot be extended');
        expect(error.hint).toContain('gate audit verify');
        expect(readFileSync(path)).toEqual(before);
      });
    }
  });

  it('a crash mid-write (a partial last line) is kept in a log.recovered record; the log then verifies with a recovered_partial warning', () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    const log = logFile(path, key);
    for (let i = 0; i < 3; i++) log.append('command.not_run', denied(i));
    const next = encodeRecord(log.head(), key.keyId, 'command.not_run', denied(3), new Date(), key.privateKey).line;
    const partial = next.subarray(0, 100);
    appendFileSync(path, partial);

    const crashed = verifyWith(path, key);
    expect(crashed.problems).toEqual([]);
    expect(crashed.warnings.map((w) => [w.code, w.line])).toEqual([['partial_tail', 5]]);
    expect(crashed.verified).toBe(4);

    const appended = log.append('command.not_run', denied(4));
    const records = readRecords(path);
    expect(records.map((r) => r.event)).toEqual(['log.opened', 'command.not_run', 'command.not_run', 'command.not_run', 'log.recovered', 'command.not_run']);
    const recovered = records[4]!;
    if (recovered.event !== 'log.recovered') throw new Error('expected log.recovered');
    expect(Buffer.from(recovered.data.partial_base64, 'base64')).toEqual(partial);
    expect(recovered.data.partial_bytes).toBe(100);
    expect(appended.record.seq).toBe(5);
    const report = verifyWith(path, key);
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => [w.code, w.line, w.seq])).toEqual([['recovered_partial', 5, 4]]);
    expect(report.verified).toBe(6);
  });

  it('bytes at the end that no crash can leave (not the beginning of a record) are kept too, and verify calls them a problem before and after', () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    const log = logFile(path, key);
    log.append('command.not_run', denied(1));
    // The last newline replaced by another byte: the last record now looks like a partial line.
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = 0x4a;
    writeFileSync(path, bytes);
    expect(verifyWith(path, key).problems.map((p) => [p.code, p.line])).toEqual([['malformed_line', 2]]);
    log.append('command.not_run', denied(2));
    expect(readRecords(path).map((r) => r.event)).toEqual(['log.opened', 'log.recovered', 'command.not_run']);
    const report = verifyWith(path, key);
    expect(report.problems.map((p) => [p.code, p.line, p.seq])).toEqual([['malformed_line', 2, 1]]);
    expect(report.warnings).toEqual([]);
  });

  it('a crash during the very first write (the file holds only part of a line): log.opened, log.recovered, then the record', () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    writeFileSync(path, '{"at":"2025-01-01T00:00:00.000Z","data":{"gate_version"');
    logFile(path, key).append('command.not_run', denied(1));
    expect(readRecords(path).map((r) => r.event)).toEqual(['log.opened', 'log.recovered', 'command.not_run']);
    const report = verifyWith(path, key);
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toEqual(['recovered_partial']);
  });

  describe('an unwritable log is an error (CONFIG_INVALID), never a silent success', () => {
    const cases: Record<string, (dir: string) => string> = {
      'the path is a directory': (dir) => {
        mkdirSync(join(dir, 'is-a-dir'));
        return join(dir, 'is-a-dir');
      },
      'a parent of the path is a regular file': (dir) => join(writeFile(join(dir, 'plain-file'), 'x'), 'audit.log'),
      'the disk is full (/dev/full: every write fails with ENOSPC)': () => '/dev/full',
      'a read-only file (/proc/version)': () => '/proc/version',
    };
    for (const [name, pathFor] of Object.entries(cases)) {
      it(name, () => {
        const dir = fresh();
        const path = pathFor(dir);
        const error = gateError(() => logFile(path, testKey(dir)).append('command.not_run', denied(1)), 'CONFIG_INVALID');
        expect(error.message).toContain('cannot write the audit log');
      });
    }
  });

  it('the lock: an append waits while another process holds it, and fails (CONFIG_INVALID) when held past the timeout', async () => {
    const dir = fresh();
    const key = testKey(dir);
    const path = join(dir, 'audit.log');
    logFile(path, key).append('command.not_run', denied(0));
    // Another process takes the same flock gate takes, for 1.5 s.
    const holder = spawn(
      process.execPath,
      ['-e', `const fs=require('fs');const {flockSync}=require('fs-ext');const fd=fs.openSync(${JSON.stringify(path)},'a+');flockSync(fd,'ex');process.stdout.write('locked\\n');setTimeout(()=>{},1500);`],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.add(holder);
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    const t0 = performance.now();
    const error = gateError(() => logFile(path, key, 200).append('command.not_run', denied(1)), 'CONFIG_INVALID');
    expect(error.message).toContain('stayed locked');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(readRecords(path)).toHaveLength(2);
    // With the default timeout the same append waits for the holder to exit (1.5 s after it locked), then succeeds.
    logFile(path, key).append('command.not_run', denied(2));
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(readRecords(path).map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(verifyWith(path, key).problems).toEqual([]);
  });
});

describe('concurrent writers: real processes, one log', () => {
  it('8 processes x 200 appends: seq 0..1600 with no gap, no line interleaved, each writer in its own order, and it verifies', async () => {
    const dir = fresh();
    const keyFile = join(dir, 'key.pem');
    const path = join(dir, 'audit.log');
    const workers = 8;
    const each = 200;
    // Every worker starts on a log that does not exist yet and a key that does not exist yet.
    const runs = Array.from({ length: workers }, (_, w) => runWorker([path, keyFile, String(w), String(each)]));
    const results = await Promise.all(runs.map((r) => r.ended));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'done\n' });

    const key = loadOrCreateSigningKey(keyFile, 'key');
    const report = verifyWith(path, key);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.verified).toBe(1 + workers * each);
    const records = readRecords(path);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    expect(records.filter((r) => r.event === 'log.opened')).toHaveLength(1);
    const order = new Map<string, number[]>();
    for (const r of records.slice(1)) {
      if (r.event !== 'command.not_run') throw new Error(`unexpected ${r.event}`);
      const [, , w, i] = r.data.command.argv[2]!.split('/');
      order.set(w!, [...(order.get(w!) ?? []), Number(i)]);
    }
    expect(order.size).toBe(workers);
    for (const seen of order.values()) expect(seen).toEqual(Array.from({ length: each }, (_, i) => i));
  });

  it('real gate commands, 8 at a time on a fresh GATE_HOME (key and log created by whichever comes first): every command recorded, started before ended', async () => {
    const home = fresh();
    const policy = writeFile(join(home, 'policy.yaml'), 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
    const codes = Array.from({ length: 24 }, (_, i) => i % 5);
    const results: number[] = [];
    for (let batch = 0; batch < codes.length; batch += 8) {
      const run = codes.slice(batch, batch + 8).map((code) => runGate(['--', 'exit-with', String(code)], { home, env: { GATE_POLICY: policy } }));
      for (const r of await Promise.all(run)) {
        expect(r.stderr).toBe('');
        results.push(r.code);
      }
    }
    expect(results.sort()).toEqual([...codes].sort());
    const verified = await runGate(['audit', 'verify', '--json'], { home });
    expect(verified.code, verified.stdout).toBe(0);
    const json = JSON.parse(verified.stdout) as { ok: boolean; lines: number; verified: number; warnings: unknown[] };
    expect(json).toMatchObject({ ok: true, lines: 1 + 2 * codes.length, verified: 1 + 2 * codes.length, warnings: [] });
    const records = readRecords(join(auditDir(home), 'audit.log'));
    const ends = records.filter((r) => r.event === 'command.ended');
    expect(ends.map((r) => (r.event === 'command.ended' ? r.data.exit_code : -1)).sort()).toEqual([...codes].sort());
    for (const end of ends) {
      if (end.event !== 'command.ended') continue;
      const start = records[end.data.start_seq]!;
      expect(start.event).toBe('command.started');
      expect(start.seq).toBeLessThan(end.seq);
    }
  });
});

describe('crashes: real processes killed with SIGKILL', () => {
  it('killed in the middle of writing a line: verify checks every complete record and says the last line is incomplete; the next gate command keeps the bytes', async () => {
    const home = fresh();
    const path = join(auditDir(home), 'audit.log');
    // The worker signs with this GATE_HOME's host key, so `gate` itself extends the same log.
    const run = runWorker([path, hostKeyPath(home), '0', '20', 'crash-mid-line']);
    expect(await run.ended).toMatchObject({ signal: 'SIGKILL', stdout: '' });
    expect(readFileSync(path).at(-1)).not.toBe(0x0a);

    const crashed = await runGate(['audit', 'verify'], { home });
    expect(crashed.code, crashed.stdout).toBe(0);
    expect(crashed.stdout).toMatch(/^warning partial_tail: line 22 is an incomplete record/m);
    expect(crashed.stdout).toContain('OK: 21 records verified');

    const policy = writeFile(join(home, 'policy.yaml'), 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
    const ran = await runGate(['--', 'true'], { home, env: { GATE_POLICY: policy } });
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    const after = await runGate(['audit', 'verify', '--json'], { home });
    expect(after.code, after.stdout).toBe(0);
    const json = JSON.parse(after.stdout) as { problems: unknown[]; warnings: { code: string; line: number }[]; verified: number };
    expect(json.problems).toEqual([]);
    expect(json.warnings.map((w) => [w.code, w.line])).toEqual([['recovered_partial', 22]]);
    expect(readRecords(path).slice(21).map((r) => r.event)).toEqual(['log.recovered', 'command.started', 'command.ended']);
  });

  it('killed at random moments while appending as fast as it can: the log always verifies and the next append continues it', async () => {
    const dir = fresh();
    const keyFile = join(dir, 'key.pem');
    const path = join(dir, 'audit.log');
    const key = loadOrCreateSigningKey(keyFile, 'key');
    let expected = 0;
    for (const delay of [0, 37, 120, 250]) {
      const run = runWorker([path, keyFile, String(delay), '0', 'forever']);
      await run.started;
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      expect((await run.ended).signal).toBe('SIGKILL');
      const report = verifyWith(path, key);
      expect(report.problems).toEqual([]);
      // A kill between write() and its return cannot leave half a line on a local disk; a
      // partial_tail here would still be acceptable (and recovered below).
      expect(report.warnings.every((w) => w.code === 'partial_tail')).toBe(true);
      expect(report.verified).toBeGreaterThan(expected);
      logFile(path, key).append('command.not_run', denied(-1, 'after-kill'));
      expected = verifyWith(path, key).verified;
      expect(verifyWith(path, key).problems).toEqual([]);
    }
  });

  it('gate killed while its command runs: the start is on the record, the end is not, and verify says so (unfinished_command)', async () => {
    const home = fresh();
    const policy = writeFile(join(home, 'policy.yaml'), 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
    const gate = startGate(['--', 'sleep-forever'], { home, env: { GATE_POLICY: policy }, detached: true, timeout: 15_000 });
    await gate.waitForStdout('ready\n');
    const childPids = readFileSync(`/proc/${gate.pid}/task/${gate.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    expect(childPids).toHaveLength(1);
    gate.kill('SIGKILL');
    // The command holds gate's stdout open: end it too, or the pipe never closes.
    for (const pid of childPids) process.kill(pid, 'SIGKILL');
    expect((await gate.result).signal).toBe('SIGKILL');
    const verified = await runGate(['audit', 'verify', '--json'], { home });
    expect(verified.code, verified.stdout).toBe(0);
    const json = JSON.parse(verified.stdout) as { problems: unknown[]; warnings: { code: string; line: number; seq: number }[] };
    expect(json.problems).toEqual([]);
    expect(json.warnings.map((w) => [w.code, w.line, w.seq])).toEqual([['unfinished_command', 2, 1]]);
  });
});
