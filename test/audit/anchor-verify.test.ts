import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointList, SignedCheckpoint } from '../../src/approval/protocol.js';
import { encodeRecord, lineHash, splitLines } from '../../src/audit/log/line.js';
import type { AuditRecord, LogHead } from '../../src/audit/log/record.js';
import { loadOrCreateSigningKey } from '../../src/crypto/signing-key.js';
import { openDatabase } from '../../src/server/store/driver.js';
import { createToken, gateAs, Processes, startGateAs, startServe, type ClientIdentity, type Served } from '../helpers/approval-e2e.js';
import { tempDir, writeFile } from '../helpers/gate.js';
import { requireBuild } from '../e2e/common.js';

// `gate audit anchor`, `gate audit verify --server` and the service's own log, with real processes
// only: `gate serve` on a loopback port, requesters and approvers as separate gate processes.

requireBuild();

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: no-forbidden
    decision: deny
    message: Never.
    program: forbidden-tool
  - id: marker-dba
    decision: approve
    program: make-marker
    approval: { from: [{ group: dba }], expires: 30s }
`;

const serverProcesses = new Processes();
const processes = new Processes();
let root: { path: string; cleanup: () => void };
let serverHome = '';
let db = '';
let policyFile = '';
let server: Served;
const tokens: Record<string, string> = {};
let n = 0;

beforeAll(() => {
  root = tempDir('gate-anchor-e2e-');
  policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
});
// A service per test: every test host runs on this machine, so they all share one host name, and
// the service would rightly name each test's logs as other logs of that host in the next test.
beforeEach(async () => {
  serverHome = join(root.path, `server-${++n}`);
  db = join(serverHome, 'server', 'gate.db');
  await Promise.all(
    ([
      ['bot', 'agent', []],
      ['alice', 'human', ['dba']],
      ['audra', 'human', ['auditor']],
    ] as const).map(async ([name, kind, groups]) => {
      tokens[name] = await createToken(serverHome, db, name, kind, groups);
    }),
  );
  server = await startServe({ home: serverHome, db, policy: policyFile }, serverProcesses);
});
afterEach(() => {
  processes.killAll();
  serverProcesses.killAll();
});
afterAll(() => {
  processes.killAll();
  serverProcesses.killAll();
  root?.cleanup();
});

/** A fresh requester host: its own GATE_HOME (so its own audit log and host key). */
const host = (): ClientIdentity => ({ home: join(root.path, `host-${++n}`), url: server.url, token: tokens.bot, env: { GATE_POLICY: policyFile } });
const logFile = (who: ClientIdentity): string => join(who.home, 'audit', 'audit.log');

async function deny(who: ClientIdentity, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) expect((await gateAs(who, ['--', 'forbidden-tool', `try-${i}`])).code).toBe(126);
}

async function anchorNow(who: ClientIdentity): Promise<SignedCheckpoint> {
  const result = await gateAs(who, ['audit', 'anchor']);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(/anchored record \d+ of log [0-9a-f]{16}/);
  return JSON.parse(result.stdout) as SignedCheckpoint;
}

interface Verified {
  readonly code: number;
  readonly report: { ok: boolean; problems: { code: string; message: string }[]; warnings: { code: string; message: string }[]; checkpoints_checked?: number };
}
async function verifyServer(who: ClientIdentity, extra: readonly string[] = ['--server']): Promise<Verified> {
  const result = await gateAs(who, ['audit', 'verify', ...extra, '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as Verified['report'] };
}
const codes = (v: Verified): string[] => v.report.problems.map((p) => p.code);

describe('gate audit anchor and gate audit verify --server', () => {
  it('anchors the head, and an intact anchored log verifies against the checkpoints', async () => {
    const who = host();
    await deny(who, 2);
    const checkpoint = await anchorNow(who);
    expect(checkpoint.payload).toMatchObject({ type: 'gate.audit.checkpoint', seq: 2, by: 'bot' });
    const v = await verifyServer(who);
    expect(v.code, JSON.stringify(v.report)).toBe(0);
    // The first denial anchored itself (a log never anchored is always due), `gate audit anchor` the rest.
    expect(v.report.checkpoints_checked).toBe(2);
  });

  it('a log that was never anchored verifies with a warning (service key configured, not pinned)', async () => {
    const who = host();
    // Written while no service was configured, so nothing anchored it.
    expect((await gateAs({ ...who, url: '' , token: '' }, ['--', 'forbidden-tool', 'offline'])).code).toBe(126);
    const key = ((await (await fetch(`${server.url}/v1/key`)).json()) as { public_key: string }).public_key;
    expect((await gateAs(who, ['config', 'set', 'serverKey', key])).code).toBe(0);
    const v = await verifyServer(who);
    expect(v.code, JSON.stringify(v.report)).toBe(0);
    expect(v.report.warnings.map((w) => w.code)).toContain('never_anchored');
  });

  it('detects a cut tail: records removed after the head was anchored', async () => {
    const who = host();
    await deny(who, 3);
    await anchorNow(who);
    const bytes = readFileSync(logFile(who));
    const { lines } = splitLines(bytes);
    truncateSync(logFile(who), bytes.length - lines.at(-1)!.length - lines.at(-2)!.length);
    // The host's key alone sees nothing wrong with what is left...
    expect((await verifyServer(who, [])).code).toBe(0);
    // ...the service does.
    const v = await verifyServer(who);
    expect(v.code).toBe(1);
    expect(codes(v)).toEqual(['cut_tail']);
    expect(v.report.problems[0]!.message).toMatch(/the approval service saw record 3 .* but the log ends at record 1/);
  });

  it('detects a rewrite: a changed record with the chain rebuilt and re-signed with the same key', async () => {
    const who = host();
    await deny(who, 3);
    await anchorNow(who);
    const key = loadOrCreateSigningKey(join(who.home, 'audit', 'host-key.pem'), 'the audit host key');
    const { lines } = splitLines(readFileSync(logFile(who)));
    const recs = lines.map((l) => JSON.parse(l.subarray(0, l.indexOf(0x09)).toString('utf8')) as AuditRecord);
    // Rewrite record 2 (a denial) so it says another command, and re-sign everything from there on.
    let head: LogHead | undefined;
    const out: Buffer[] = [];
    recs.forEach((r, i) => {
      if (i < 2) {
        out.push(lines[i]!);
        head = { seq: r.seq, hash: lineHash(lines[i]!) };
        return;
      }
      const data = i === 2 ? { ...(r.data as object), command: { ...(r.data as { command: object }).command, argv: ['innocent-tool'] } } : r.data;
      const encoded = encodeRecord(head, r.log, r.event, data as never, new Date(r.at), key.privateKey);
      out.push(encoded.line);
      head = encoded.head;
    });
    writeFileSync(logFile(who), Buffer.concat(out));
    expect((await verifyServer(who, [])).code).toBe(0);
    const v = await verifyServer(who);
    expect(v.code).toBe(1);
    expect(codes(v)).toEqual(['rewritten']);
    expect(v.report.problems[0]!.message).toMatch(/record 3 is not the record the approval service anchored/);
    // Anchoring the rewritten head: the service flags it as a fork, and says so.
    const again = await gateAs(who, ['audit', 'anchor']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/PROBLEM: the approval service holds a different record 3 of this audit log .*rewritten/);
    expect(codes(await verifyServer(who)).sort()).toEqual(['head_conflict', 'rewritten']);
  });

  it('detects a wholesale rewrite under a new key: the service names the older log of the host', async () => {
    const who = host();
    await deny(who, 2);
    const old = await anchorNow(who);
    rmSync(logFile(who));
    rmSync(join(who.home, 'audit', 'host-key.pem'));
    await deny(who, 2);
    // Not anchored yet: this host's name still finds the older log.
    const before = await verifyServer(who);
    expect(before.code).toBe(1);
    expect(codes(before)).toEqual(['other_log']);
    expect(before.report.problems[0]!.message).toContain(`log ${old.payload.log_id}`);
    await anchorNow(who);
    const after = await verifyServer(who);
    expect(after.code).toBe(1);
    expect(codes(after)).toEqual(['other_log']);
    expect(after.report.problems[0]!.message).toMatch(new RegExp(`also anchored log ${old.payload.log_id} .*before this log was first anchored.*wholesale rewrite under a new key`));
  });

  it('an unreachable service fails the verification (exit 1), it does not pass unchecked', async () => {
    const who = host();
    await deny(who);
    const v = await verifyServer({ ...who, url: 'http://127.0.0.1:9' });
    expect(v.code).toBe(1);
    expect(codes(v)).toEqual(['server_unavailable']);
  });

  it('gate audit anchor fails with exit 125 when there is nothing to anchor or no service', async () => {
    const who = host();
    expect((await gateAs(who, ['audit', 'anchor'])).code).toBe(125);
    await deny(who);
    const noService = await gateAs({ ...who, url: 'http://127.0.0.1:9' }, ['audit', 'anchor']);
    expect(noService.code).toBe(125);
    expect(noService.stderr).toMatch(/cannot reach the approval service|did not confirm/);
  });
});

describe("the service's own log after a real approval round trip", () => {
  const download = async (token: string): Promise<{ status: number; bytes: Buffer }> => {
    const res = await fetch(`${server.url}/v1/audit/log`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it('verifies with gate audit verify --log FILE --key <server key>, and one tampered row is detected', async () => {
    const bot = host();
    const alice: ClientIdentity = { home: join(root.path, 'alice'), url: server.url, token: tokens.alice, env: { GATE_POLICY: policyFile } };
    const marker = join(root.path, 'approved.marker');
    await deny(bot); // a record first, so the request carries a head too
    const requester = startGateAs(bot, ['--', 'make-marker', marker], processes);
    const id = await requester.requestId();
    expect((await gateAs(alice, ['approve', id])).code).toBe(0);
    expect((await requester.result).code).toBe(0);

    // The requester's heads came along with the request and its outcome.
    const heads = await fetch(`${server.url}/v1/audit/heads/${loadOrCreateSigningKey(join(bot.home, 'audit', 'host-key.pem'), 'k').keyId}`, { headers: { authorization: `Bearer ${tokens.bot}` } });
    expect(((await heads.json()) as CheckpointList).checkpoints.map((c) => [c.payload.seq, c.payload.by])).toEqual([
      [1, 'bot'],
      [3, 'bot'],
    ]);
    expect((await verifyServer(bot)).code).toBe(0);

    const serverKey = ((await (await fetch(`${server.url}/v1/key`)).json()) as { public_key: string }).public_key;
    const auditor: ClientIdentity = { home: join(root.path, 'auditor'), url: server.url };
    const got = await download(tokens.audra!);
    expect(got.status).toBe(200);
    const file = writeFile(join(root.path, 'service.log'), '');
    writeFileSync(file, got.bytes);
    const ok = await gateAs(auditor, ['audit', 'verify', '--log', file, '--key', serverKey]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const events = splitLines(got.bytes).lines.map((l) => JSON.parse(l.subarray(0, l.indexOf(0x09)).toString()) as AuditRecord);
    expect(events.filter((r) => r.event === 'service.event' && (r.data as { request_id: string }).request_id === id).map((r) => (r.data as { type: string }).type)).toEqual([
      'created',
      'approval',
      'approved',
      'executing',
      'executed',
    ]);

    expect((await download(tokens.bot!)).status).toBe(403);
    expect((await download(tokens.alice!)).status).toBe(403);

    const database = openDatabase(db);
    try {
      const seq = events.find((r) => r.event === 'service.event' && (r.data as { type: string }).type === 'approved')!.seq;
      const row = database.prepare('SELECT line FROM service_log WHERE seq = ?').get(seq) as { line: Buffer };
      database.prepare('UPDATE service_log SET line = ? WHERE seq = ?').run(Buffer.from(row.line.toString().replace('"approved"', '"denied"')), seq);
    } finally {
      database.close();
    }
    writeFileSync(file, (await download(tokens.audra!)).bytes);
    const tampered = await gateAs(auditor, ['audit', 'verify', '--log', file, '--key', serverKey, '--json']);
    expect(tampered.code).toBe(1);
    expect((JSON.parse(tampered.stdout) as Verified['report']).problems.map((p) => p.code)).toContain('bad_signature');
  });
});
