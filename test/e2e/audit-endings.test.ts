import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandDigest } from '../../src/approval/digest.js';
import type { ApprovalRequest, ServerKey } from '../../src/approval/protocol.js';
import { publicKeyFromBase64, verifyReceipt } from '../../src/approval/receipt.js';
import { splitLines } from '../../src/audit/log/line.js';
import type { AuditRecord, CommandContext, CommandEnded, CommandNotRun, CommandStarted } from '../../src/audit/log/record.js';
import { osUser } from '../../src/context/os-user.js';
import { api, createToken, gateAs, Processes, startGateAs, startServe, type ClientIdentity, type Served } from '../helpers/approval-e2e.js';
import { ROOT, tempDir, writeFile, type GateResult } from '../helpers/gate.js';
import { requireBuild } from './common.js';

// One record for every way a command ends, with real processes only: `gate serve` with a real
// SQLite file, the requester `gate -- cmd` / `gate sh -c`, approvers with `gate approve|deny`.
// Each test has its own requester GATE_HOME, so its audit log holds exactly that test's records;
// every log must pass `gate audit verify --server-key <the service's key>`.

requireBuild();

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: marker-dba
    decision: approve
    message: Making markers needs a DBA.
    program: make-marker
    approval: { from: [{ group: dba }], expires: 30s }
  - id: exit-dba
    decision: approve
    program: exit-with
    approval: { from: [{ group: dba }], expires: 30s }
  - id: kill-dba
    decision: approve
    program: kill-self
    approval: { from: [{ group: dba }], expires: 30s }
  - id: print-short
    decision: approve
    program: print-argv
    approval: { from: [{ group: dba }], expires: 2s }
  - id: no-rm
    decision: deny
    message: Never from here.
    program: rm
  - id: echo-audited
    decision: allow
    program: echo
    audit: true
`;

const processes = new Processes();
const serverProcesses = new Processes();
let root: { path: string; cleanup: () => void };
let policyFile = '';
let server: Served;
let serverKey = '';
const tokens: Record<'bot' | 'alice' | 'bob', string> = { bot: '', alice: '', bob: '' };
let home = '';
let work = '';
let testNo = 0;

/** The requester (an agent) with this test's GATE_HOME. */
const bot = (env: Record<string, string | undefined> = {}): ClientIdentity => ({ home, url: server.url, token: tokens.bot, env: { GATE_POLICY: policyFile, ...env } });
const approver = (name: 'alice' | 'bob'): ClientIdentity => ({ home: join(root.path, 'homes', name), url: server.url, token: tokens[name], env: { GATE_POLICY: policyFile } });

const logPath = (): string => join(home, 'audit', 'audit.log');

function records(path = logPath()): AuditRecord[] {
  if (!existsSync(path)) return [];
  return splitLines(readFileSync(path)).lines.map((l) => JSON.parse(l.subarray(0, l.indexOf(0x09)).toString('utf8')) as AuditRecord);
}

/** The records after log.opened, as [event, outcome] pairs. */
const shape = (rs: readonly AuditRecord[]): string[][] =>
  rs.filter((r) => r.event !== 'log.opened').map((r) => [r.event, r.event === 'command.not_run' || r.event === 'command.ended' ? (r.data as { outcome: string }).outcome : '']);

/** `gate audit verify --json --server-key KEY` on this test's log: must be intact, no warning. */
async function expectVerified(): Promise<{ lines: number; verified: number }> {
  const result = await gateAs(bot(), ['audit', 'verify', '--json', '--server-key', serverKey]);
  const json = JSON.parse(result.stdout) as { ok: boolean; lines: number; verified: number; problems: unknown[]; warnings: unknown[] };
  expect(json.problems, result.stdout).toEqual([]);
  expect(json.warnings).toEqual([]);
  expect(json.ok).toBe(true);
  expect(result.code).toBe(0);
  expect(json.verified).toBe(json.lines);
  return json;
}

const fetchRequest = async (id: string): Promise<ApprovalRequest> => {
  const res = await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot);
  expect(res.status).toBe(200);
  return res.body;
};

/** What every command record says about who asked, where and why. */
function expectContext(data: CommandContext, expected: { argv: readonly string[]; decision: 'allow' | 'approve' | 'deny' | undefined; rules: readonly string[]; principal: 'server' | 'local' }): void {
  expect(data.command.argv).toEqual(expected.argv);
  expect(data.command.cwd).toBe(ROOT);
  expect(data.command.host).toBe(hostname());
  expect(data.host).toBe(hostname());
  expect(data.os_user).toBe(osUser());
  if (expected.principal === 'server') expect(data.principal).toEqual({ name: 'bot', kind: 'agent', source: 'server' });
  else expect(data.principal).toMatchObject({ kind: expect.stringMatching(/^(human|agent|ci)$/), source: 'local' });
  expect(data.policy.decision).toBe(expected.decision);
  expect(data.policy.rules).toEqual(expected.rules);
  if (expected.decision !== undefined) expect(data.policy.digest).toMatch(/^[0-9a-f]{64}$/);
  expect(Date.parse(data.times.requested)).toBeGreaterThan(Date.now() - 120_000);
  if (data.times.decided !== undefined) expect(data.times.decided >= data.times.requested).toBe(true);
}

/** A started record with its end: the pair, checked for order and a valid receipt when approved. */
function startedAndEnded(rs: readonly AuditRecord[]): { started: CommandStarted; ended: CommandEnded; seq: number } {
  const s = rs.find((r) => r.event === 'command.started');
  const e = rs.find((r) => r.event === 'command.ended');
  if (s?.event !== 'command.started' || e?.event !== 'command.ended') throw new Error(`expected a started and an ended record, got ${JSON.stringify(shape(rs))}`);
  const { times } = s.data;
  expect(times.decided! <= times.started).toBe(true);
  expect(times.started <= e.data.times.ended).toBe(true);
  expect(e.data.times.started).toBe(times.started);
  expect(e.data.start_seq).toBe(s.seq);
  expect(e.seq).toBe(s.seq + 1);
  expect(e.data.duration_ms).toBeGreaterThanOrEqual(0);
  expect(e.data.duration_ms).toBeLessThan(Date.parse(e.data.times.ended) - Date.parse(times.started) + 50);
  return { started: s.data, ended: e.data, seq: s.seq };
}

/** The receipt in an approved record verifies against the service key, for exactly the recorded command. */
function expectValidReceipt(data: CommandStarted): void {
  const request = data.request!;
  expect(request.server_key).toBe(serverKey);
  expect(request.receipt).toBeDefined();
  const payload = verifyReceipt(request.receipt, publicKeyFromBase64(serverKey), {
    requestId: request.id,
    commandDigest: commandDigest(data.command, data.principal.name),
    requester: data.principal.name,
    now: new Date(data.times.started),
  });
  expect(payload.request_id).toBe(request.id);
}

beforeAll(async () => {
  root = tempDir('gate-audit-endings-');
  const serverHome = join(root.path, 'server-home');
  const db = join(serverHome, 'approvals.db');
  policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
  for (const name of ['alice', 'bob']) writeFile(join(root.path, 'homes', name, '.keep'), '');
  const [botToken, alice, bob] = await Promise.all([createToken(serverHome, db, 'bot', 'agent'), createToken(serverHome, db, 'alice', 'human', ['dba']), createToken(serverHome, db, 'bob', 'human', ['dba'])]);
  Object.assign(tokens, { bot: botToken, alice, bob });
  server = await startServe({ home: serverHome, db, policy: policyFile }, serverProcesses);
  const key = await fetch(`${server.url}/v1/key`).then((r) => r.json() as Promise<ServerKey>);
  serverKey = key.public_key;
});

beforeEach(() => {
  work = join(root.path, `t${++testNo}`);
  home = join(work, 'home');
  mkdirSync(home, { recursive: true });
});

afterEach(() => processes.killAll());

afterAll(() => {
  processes.killAll();
  serverProcesses.killAll();
  root?.cleanup();
});

/** Starts `gate ARGS` as the bot and returns it with its request id once created. */
async function request(args: readonly string[], env: Record<string, string | undefined> = {}) {
  const gate = startGateAs(bot(env), args, processes);
  return { gate, id: await gate.requestId() };
}

describe('one audit record for every ending', () => {
  it('ran (exit code): approved, with reason, on-behalf-of, environment and context; started (with a valid receipt) and ended with the exit code', async () => {
    const args = ['--reason', 'INC-42 cleanup', '--on-behalf-of', 'dana', '--environment', 'prod', '--context', 'ticket=OPS-7', '--', 'exit-with', '3'];
    const { gate, id } = await request(args);
    expect(records()).toEqual([]);
    const approved = await gateAs(approver('alice'), ['approve', id, '--comment', 'go']);
    expect(approved.code, approved.stderr).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(3);

    const rs = records();
    expect(shape(rs)).toEqual([
      ['command.started', ''],
      ['command.ended', 'exited'],
    ]);
    const { started, ended } = startedAndEnded(rs);
    expectContext(started, { argv: ['exit-with', '3'], decision: 'approve', rules: ['exit-dba'], principal: 'server' });
    expect(started.command.program_path).toBe(join(ROOT, 'test', 'fixtures', 'bin', 'exit-with'));
    expect(started).toMatchObject({ reason: 'INC-42 cleanup', on_behalf_of: 'dana', environment: 'prod', custom: { ticket: 'OPS-7' } });
    const server = await fetchRequest(id);
    expect(started.request).toMatchObject({ id, status: 'executing', server_key: serverKey, approvals: [{ name: 'alice', kind: 'human', groups: ['dba'], channel: server.approvals[0]!.channel, comment: 'go' }] });
    expect(started.request!.approvals[0]!.channel).not.toBe('');
    expect(started.times.requested <= started.request!.created_at).toBe(true);
    expect(started.times.decided).toBe(server.decided_at);
    expectValidReceipt(started);
    expect(ended).toMatchObject({ outcome: 'exited', exit_code: 3, request_id: id });
    expect(ended.signal).toBeUndefined();
    await expectVerified();
  });

  it('ran (killed by a signal): the end says signaled, with the signal and 128+N', async () => {
    const { gate, id } = await request(['--', 'kill-self', 'TERM']);
    expect((await gateAs(approver('bob'), ['approve', id])).code).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(143);
    const { started, ended } = startedAndEnded(records());
    expectContext(started, { argv: ['kill-self', 'TERM'], decision: 'approve', rules: ['kill-dba'], principal: 'server' });
    expectValidReceipt(started);
    expect(ended).toMatchObject({ outcome: 'signaled', signal: 'SIGTERM', exit_code: 143, request_id: id });
    await expectVerified();
  });

  it('denied by policy: one not_run record with the rule, exit 126, nothing else', async () => {
    const target = join(work, 'keep-me');
    writeFile(join(target, 'file'), 'x');
    const result = await gateAs(bot(), ['--reason', 'tidy up', '--', 'rm', '-rf', target]);
    expect(result.code, result.stderr).toBe(126);
    expect(existsSync(target)).toBe(true);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'denied_by_policy']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['rm', '-rf', target], decision: 'deny', rules: ['no-rm'], principal: 'local' });
    expect(data.reason).toBe('tidy up');
    expect(data.request).toBeUndefined();
    expect(data.times.decided).toBe(data.times.requested);
    await expectVerified();
  });

  it('denied by an approver: the approver and the reason are on the record, exit 126', async () => {
    const marker = join(work, 'denied.marker');
    const { gate, id } = await request(['--', 'make-marker', marker]);
    expect((await gateAs(approver('bob'), ['deny', id, '--reason', 'not during the freeze'])).code).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(126);
    expect(existsSync(marker)).toBe(false);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'denied_by_approver']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['make-marker', marker], decision: 'approve', rules: ['marker-dba'], principal: 'server' });
    expect(data.request).toMatchObject({ id, status: 'denied', denial: { by: 'bob', reason: 'not during the freeze', by_policy: false }, approvals: [] });
    expect(data.request!.receipt).toBeUndefined();
    expect(data.times.decided).toBe(data.request!.decided_at);
    await expectVerified();
  });

  it('expired: no decision in time, exit 124, the request on the record as expired', async () => {
    const { gate, id } = await request(['--', 'print-argv', 'must-not-run']);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(124);
    expect(result.stdout).toBe('');
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'expired']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['print-argv', 'must-not-run'], decision: 'approve', rules: ['print-short'], principal: 'server' });
    expect(data.request).toMatchObject({ id, status: 'expired' });
    await expectVerified();
  });

  it('cancelled: SIGINT while waiting, exit 130, the request on the record as cancelled', async () => {
    const marker = join(work, 'cancelled.marker');
    const { gate, id } = await request(['--', 'make-marker', marker]);
    gate.kill('SIGINT');
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(130);
    expect(existsSync(marker)).toBe(false);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'cancelled']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['make-marker', marker], decision: 'approve', rules: ['marker-dba'], principal: 'server' });
    expect(data.request).toMatchObject({ id, status: 'cancelled' });
    await expectVerified();
  });

  it('failed closed, service unreachable: exit 125, the error on the record', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const marker = join(work, 'unreachable.marker');
    const result = await gateAs({ ...bot(), url: `http://127.0.0.1:${closed}` }, ['--', 'make-marker', marker]);
    expect(result.code, result.stderr).toBe(125);
    expect(existsSync(marker)).toBe(false);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'failed_closed']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['make-marker', marker], decision: 'approve', rules: ['marker-dba'], principal: 'local' });
    expect(data.error?.code).toBeTruthy();
    expect(data.error?.message).toContain(`127.0.0.1:${closed}`);
    await expectVerified();
  });

  it('failed closed, bad policy file: exit 125, a record with no decision and the policy error', async () => {
    const bad = writeFile(join(work, 'bad.yaml'), 'version: 1\nrules:\n  - id: x\n    decision: maybe\n');
    const marker = join(work, 'bad-policy.marker');
    const result = await gateAs(bot({ GATE_POLICY: bad }), ['--', 'make-marker', marker]);
    expect(result.code, result.stderr).toBe(125);
    expect(existsSync(marker)).toBe(false);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'failed_closed']]);
    const data = rs[1]!.data as CommandNotRun;
    expectContext(data, { argv: ['make-marker', marker], decision: undefined, rules: [], principal: 'local' });
    expect(data.policy.digest).toBe('');
    expect(data.error).toMatchObject({ code: 'POLICY_INVALID' });
    await expectVerified();
  });

  it('every ending in one log: the whole log verifies with the service key, and fails without it (receipts untrusted)', async () => {
    // Approved and ran, denied by policy, denied by an approver, in one GATE_HOME.
    const ran = await request(['--', 'exit-with', '0']);
    expect((await gateAs(approver('alice'), ['approve', ran.id])).code).toBe(0);
    expect((await ran.gate.result).code).toBe(0);
    expect((await gateAs(bot(), ['--', 'rm', '-rf', join(work, 'x')])).code).toBe(126);
    const denied = await request(['--', 'make-marker', join(work, 'm')]);
    expect((await gateAs(approver('alice'), ['deny', denied.id, '--reason', 'no'])).code).toBe(0);
    expect((await denied.gate.result).code).toBe(126);
    expect(shape(records())).toEqual([
      ['command.started', ''],
      ['command.ended', 'exited'],
      ['command.not_run', 'denied_by_policy'],
      ['command.not_run', 'denied_by_approver'],
    ]);
    expect(await expectVerified()).toMatchObject({ lines: 5, verified: 5 });
    // An auditor's host that pinned nothing: the receipt's key must be given, or it is a problem.
    const elsewhere = join(work, 'auditor');
    mkdirSync(elsewhere);
    const key = await gateAs(bot(), ['audit', 'key', '--base64']);
    const noServerKey = await gateAs({ home: elsewhere, url: '' }, ['audit', 'verify', '--json', '--log', logPath(), '--key', key.stdout.trim()]);
    expect(noServerKey.code).toBe(1);
    expect((JSON.parse(noServerKey.stdout) as { problems: { code: string; line: number }[] }).problems.map((p) => [p.code, p.line])).toEqual([['untrusted_receipt_key', 2]]);
    const withServerKey = await gateAs({ home: elsewhere, url: '' }, ['audit', 'verify', '--log', logPath(), '--key', key.stdout.trim(), '--server-key', serverKey]);
    expect(withServerKey.code, withServerKey.stdout).toBe(0);
    expect(withServerKey.stdout).toContain('OK: 5 records verified: signatures, hash chain, sequence, receipts');
  });
});

describe('gate sh -c and allowed commands', () => {
  it('gate sh -c: the shell text is on the record (approved, ran) and its receipt binds it', async () => {
    const marker = join(work, 'sh.marker');
    const text = `make-marker ${marker} && echo done`;
    const { gate, id } = await request(['sh', '-c', text]);
    expect((await gateAs(approver('alice'), ['approve', id])).code).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const { started, ended } = startedAndEnded(records());
    expect(started.command.shell_text).toBe(text);
    expect(started.command.argv.at(-1)).toBe(text);
    expect(started.command.program_path).toMatch(/\/bash$/);
    expect(started.policy).toMatchObject({ decision: 'approve', rules: ['marker-dba'] });
    expectValidReceipt(started);
    expect(ended).toMatchObject({ outcome: 'exited', exit_code: 0 });
    await expectVerified();
  });

  it('gate sh -c denied by policy: not_run with the shell text', async () => {
    const result = await gateAs(bot(), ['sh', '-c', `echo hi && rm -rf ${work}/nothing`]);
    expect(result.code, result.stderr).toBe(126);
    const rs = records();
    expect(shape(rs)).toEqual([['command.not_run', 'denied_by_policy']]);
    expect((rs[1]!.data as CommandNotRun).command.shell_text).toBe(`echo hi && rm -rf ${work}/nothing`);
    expect((rs[1]!.data as CommandNotRun).policy.rules).toEqual(['no-rm']);
    await expectVerified();
  });

  it('allowed commands are not recorded by default; a rule with audit: true, or defaults.audit_allowed, records them', async () => {
    const plain = await gateAs(bot(), ['--', 'true']);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(logPath())).toBe(false);

    const audited = await gateAs(bot(), ['--', 'echo', 'audited']);
    expect(audited).toMatchObject({ code: 0, stdout: 'audited' });
    const rs = records();
    expect(shape(rs)).toEqual([
      ['command.started', ''],
      ['command.ended', 'exited'],
    ]);
    const { started } = startedAndEnded(rs);
    expectContext(started, { argv: ['echo', 'audited'], decision: 'allow', rules: ['echo-audited'], principal: 'local' });
    expect(started.request).toBeUndefined();

    const everything = writeFile(join(work, 'audit-all.yaml'), 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
    expect((await gateAs(bot({ GATE_POLICY: everything }), ['--', 'true'])).code).toBe(0);
    const after = records();
    expect(shape(after).slice(2)).toEqual([
      ['command.started', ''],
      ['command.ended', 'exited'],
    ]);
    expect((after[3]!.data as CommandStarted).command.argv).toEqual(['true']);
    expect((after[3]!.data as CommandStarted).policy).toMatchObject({ decision: 'allow', rules: [] });
    await expectVerified();
  });
});

describe('durability: no record on disk, no command', () => {
  it('the log becomes unwritable while the request waits (disk full): the approver approves, yet nothing runs (125) and the service learns it', async () => {
    const marker = join(work, 'unwritable.marker');
    // The log is a symlink, first to a normal file, then (after the request is made) to /dev/full.
    const link = join(work, 'audit-link.log');
    symlinkSync(join(work, 'real.log'), link);
    const { gate, id } = await request(['--', 'make-marker', marker], { GATE_AUDIT_LOG: link });
    const full = join(work, 'full-link');
    symlinkSync('/dev/full', full);
    renameSync(full, link);
    expect((await gateAs(approver('alice'), ['approve', id])).code).toBe(0);
    const result: GateResult = await gate.result;
    expect(result.code, result.stderr).toBe(125);
    expect(result.stderr).toContain('cannot write the audit log');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(work, 'real.log'))).toBe(false);
    const seen = await fetchRequest(id);
    expect(seen.status).toBe('executed');
    expect(seen.outcome?.exit_code).toBe(125);
  });

  it('a policy-denied command with an unwritable log still exits 126, with a warning that it was not recorded', async () => {
    const dir = join(work, 'log-is-a-directory');
    mkdirSync(dir);
    const target = join(work, 'keep');
    writeFile(join(target, 'f'), 'x');
    const result = await gateAs(bot({ GATE_AUDIT_LOG: dir }), ['--', 'rm', '-rf', target]);
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('denied by rule "no-rm"');
    expect(result.stderr).toMatch(/warning: could not write the audit record: cannot write the audit log/);
    expect(existsSync(target)).toBe(true);
  });

  it('an allowed, audited command does not run when its start cannot be recorded (125)', async () => {
    const marker = join(work, 'audited.marker');
    const everything = writeFile(join(work, 'audit-all.yaml'), 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
    const result = await gateAs(bot({ GATE_POLICY: everything, GATE_AUDIT_LOG: '/dev/full' }), ['--', 'make-marker', marker]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('cannot write the audit log /dev/full');
    expect(existsSync(marker)).toBe(false);
  });
});
