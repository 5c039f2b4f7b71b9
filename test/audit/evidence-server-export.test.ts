// `gate audit export --server`: the approval service's own log, fetched page by page, verified
// with the key trusted on this host, exported like a host log and signed by this host's key.
// Against the real `gate serve` (requests approved and denied by real gate processes), and
// against a local HTTP service that serves a log built with encodeRecord, for what the real one
// cannot be made to do (hundreds of lines, a forged receipt, a tampered line, another key).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandDigest } from '../../src/approval/digest.js';
import type { ApprovalRequest, CommandSpec, ReceiptPayload } from '../../src/approval/protocol.js';
import { keyId, signReceipt } from '../../src/approval/receipt.js';
import { encodeRecord } from '../../src/audit/log/line.js';
import type { AuditEvent, EventData, LogHead } from '../../src/audit/log/record.js';
import type { JsonValue } from '../../src/json.js';
import { requireBuild } from '../e2e/common.js';
import { runGate, tempDir, writeFile, type GateResult } from '../helpers/gate.js';
import { buildHostLog, docsRecipe, logLines, opensslVerify, parseCsv, Processes, runRecipe, type HostLog } from './evidence-fixture.js';

requireBuild();

const processes = new Processes();
let root: { path: string; cleanup: () => void };
let host: HostLog;
let outNo = 0;
const out = (): string => join(root.path, `export-${++outNo}`);

interface Csv {
  rows: Record<string, string>[];
}
function readCsv(dir: string): Csv {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'events.csv'), 'utf8'));
  return { rows: rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!]))) };
}
const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as {
    source: { kind: string; location: string };
    log: { id: string; key: { key_id: string; public_key: string; file: string } };
    signer: { key_id: string; public_key: string; file: string };
    counts: { records: number; commands: number; outcomes: Record<string, number> };
    files: Record<string, string>;
    verification: { ok: boolean };
  };

async function manifestVerifies(dir: string, keyFile: string): Promise<boolean> {
  const sig = join(root.path, `sig-${++outNo}.bin`);
  writeFileSync(sig, Buffer.from(readFileSync(join(dir, 'MANIFEST.json.sig'), 'utf8').trim(), 'base64'));
  return opensslVerify(join(dir, keyFile), join(dir, 'MANIFEST.json'), sig);
}

beforeAll(async () => {
  root = tempDir('gate-server-export-');
  host = await buildHostLog(root.path, processes);
}, 60_000);

afterAll(() => {
  processes.killAll();
  root?.cleanup();
});

describe('gate audit export --server against the real gate serve', () => {
  const exportServer = (args: readonly string[], token: string): Promise<GateResult> =>
    runGate(['audit', 'export', '--server', ...args], { home: host.home, env: { GATE_SERVER: host.serverUrl, GATE_TOKEN: token } });

  it("exports the service's requests and decisions, verified with the key this host pinned, signed by this host's key", async () => {
    const dir = out();
    const result = await exportServer(['--format', 'csv', '--out', dir], host.auditorToken);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/exported \d+ records \(2 commands: 1 ran, 1 denied_by_approver\) of log [0-9a-f]{16}, seq 0-\d+, .*; verification OK/);

    const { rows } = readCsv(dir);
    expect(rows.map((r) => [r.outcome, r.decided_by])).toEqual([
      ['ran', 'alice'],
      ['denied_by_approver', 'bob'],
    ]);
    expect(rows[0]).toMatchObject({ requester_id: 'carol', requester_kind: 'human', decision: 'approve', decision_channel: 'api', decision_reason: 'alice: ok', policy_rules: 'marker-dba', justification: 'INC-42 cleanup', exit_code: '0', server_receipt_valid: 'true', signature_valid: 'true' });
    expect(rows[0]!.request_id).toMatch(/^req_/);
    for (const column of ['executed_at', 'ended_at', 'decided_at', 'duration_ms']) expect(rows[0]![column], column).not.toBe('');
    expect(rows[1]).toMatchObject({ decision_reason: 'not during the freeze', server_receipt_valid: '', executed_at: '' });

    // The same requests as the host recorded them: ids match.
    const hostCsv = join(root.path, 'host-csv');
    await runGate(['audit', 'export', '--format', 'csv', '--rule', 'marker-dba', '--out', hostCsv], { home: host.home });
    expect(readCsv(hostCsv).rows.map((r) => r.request_id).filter((id) => id !== '')).toEqual(rows.map((r) => r.request_id));

    const manifest = manifestOf(dir);
    const hostKey = (await runGate(['audit', 'key', '--base64'], { home: host.home })).stdout.trim();
    const pinned = JSON.parse(readFileSync(join(host.home, 'known-servers.json'), 'utf8')) as { servers: Record<string, { public_key: string }> };
    expect(manifest.source).toEqual({ kind: 'service', location: host.serverUrl });
    expect(manifest.log.key).toMatchObject({ public_key: pinned.servers[host.serverUrl]!.public_key, file: 'service-key.pub.pem' });
    expect(manifest.signer).toMatchObject({ public_key: hostKey, file: 'exporter-key.pub.pem' });
    expect(Object.keys(manifest.files).sort()).toEqual(['audit.log', 'events.csv', 'exporter-key.pub.pem', 'service-key.pub.pem', 'verification.json']);
    expect(await manifestVerifies(dir, 'exporter-key.pub.pem')).toBe(true);
    expect(await manifestVerifies(dir, 'service-key.pub.pem')).toBe(false);
  });

  it('jsonl carries every record of the service log, principals and anchored heads included', async () => {
    const dir = out();
    expect((await exportServer(['--format', 'jsonl', '--out', dir], host.auditorToken)).code).toBe(0);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { record: { event: string; data: { name?: string } } });
    expect(events[0]!.record.event).toBe('log.opened');
    expect(events.filter((e) => e.record.event === 'service.principal').map((e) => e.record.data.name)).toEqual(['carol', 'alice', 'bob', 'audrey']);
    expect(events.some((e) => e.record.event === 'service.event')).toBe(true);
    // carol's gate anchored its log head with each request it made.
    expect(events.some((e) => e.record.event === 'service.head')).toBe(true);
    expect(logLines(readFileSync(join(dir, 'audit.log'), 'utf8'))).toHaveLength(events.length);
  });

  it('is refused to a principal outside the auditor group', async () => {
    const result = await exportServer(['--format', 'csv', '--out', out()], host.requesterToken);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/refused GET \/audit\/log.*403 forbidden/);
  });
});

// ---------------------------------------------------------------------------------------------
// A local service: GET /v1/key and GET /v1/audit/log over a log made with encodeRecord.

const TOKEN = 'auditor-token';
const REQUESTS = 72;

interface Fake {
  readonly url: string;
  readonly key: { privateKey: KeyObject; publicKey: KeyObject; spki: string; id: string };
  /** Lines served (may be replaced to tamper). */
  lines: Buffer[];
  /** (after_seq, limit) of each log page asked for. */
  readonly pages: [string | null, string | null][];
  readonly server: Server;
}

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), id: keyId(publicKey) };
}

/** The service's log: principals, then per request its events with full snapshots, then a head. */
function serviceLog(key: ReturnType<typeof newKey>): Buffer[] {
  const lines: Buffer[] = [];
  let head: LogHead | undefined;
  let clock = Date.parse('2026-05-01T09:00:00Z');
  const append = <E extends AuditEvent>(event: E, data: EventData<E>): void => {
    const written = encodeRecord(head, key.id, event, data, new Date((clock += 1000)), key.privateKey);
    lines.push(written.line);
    head = written.head;
  };
  append('log.opened', { host: 'approvals', public_key: key.spki, gate_version: '0.1.0' });
  for (const name of ['carol', 'alice']) append('service.principal', { action: 'created', id: `prn_${name}`, name, kind: 'human', groups: [name === 'alice' ? 'dba' : 'dev'] });
  for (let i = 0; i < REQUESTS; i++) {
    const id = `req_${String(i).padStart(4, '0')}`;
    const command: CommandSpec = { argv: ['make-marker', `/srv/m${i}`], cwd: '/srv', host: 'web-01', program_path: '/usr/local/bin/make-marker' };
    const base = {
      id,
      created_at: new Date(clock).toISOString(),
      expires_at: new Date(clock + 1_800_000).toISOString(),
      requester: { name: 'carol', kind: 'human', groups: ['dev'] },
      command,
      command_digest: commandDigest(command, 'carol'),
      context: { os_user: 'carol', reason: `INC-${i}`, custom: {}, env: {}, gate_version: '0.1.0' },
      requirement: { from: [{ group: 'dba', count: 1 }], expires_seconds: 1800, reason_required: false, on_behalf_may_approve: false },
      rules: [{ id: 'marker-dba', decision: 'approve', source: 'server' }],
      approvals: [],
      questions: [],
      progress: '',
      url: `https://approvals.example/requests/${id}`,
    } satisfies Omit<ApprovalRequest, 'status'>;
    const event = (type: string, request: Record<string, unknown>): void =>
      append('service.event', { request_id: id, type, event_seq: lines.length, request: request as unknown as JsonValue });
    event('created', { ...base, status: 'pending' });
    const decidedAt = new Date(clock + 500).toISOString();
    switch (i % 3) {
      case 0: {
        const approvals = [{ approver: 'alice', kind: 'human', groups: ['dba'], channel: 'slack', at: decidedAt, comment: 'ok' }];
        const payload: ReceiptPayload = {
          v: 1,
          receipt_id: `rct_${i}`,
          request_id: id,
          command_digest: base.command_digest,
          requester: 'carol',
          approvers: [{ name: 'alice', at: decidedAt }],
          decided_at: decidedAt,
          not_after: new Date(clock + 300_000).toISOString(),
          key_id: key.id,
        };
        const signed = signReceipt(payload, key.privateKey);
        // Request 0's receipt was altered after signing (the log record itself is validly signed).
        const receipt = i === 0 ? { ...signed, payload: { ...payload, approvers: [{ name: 'mallory', at: decidedAt }] } } : signed;
        event('approval', { ...base, status: 'pending', approvals });
        event('approved', { ...base, status: 'approved', approvals, receipt, decided_at: decidedAt });
        event('executing', { ...base, status: 'executing', approvals, receipt, decided_at: decidedAt });
        event('executed', { ...base, status: 'executed', approvals, receipt, decided_at: decidedAt, outcome: { exit_code: i % 2, duration_ms: 40 + i } });
        break;
      }
      case 1:
        event('denied', { ...base, status: 'denied', decided_at: decidedAt, denial: { by: 'bob', reason: `no, ${i}`, at: decidedAt, by_policy: false } });
        break;
      default:
        event('expired', { ...base, status: 'expired' });
    }
  }
  append('service.head', { log_id: 'f00dfeedf00dfeed', host: 'web-01', seq: 41, hash: 'ab'.repeat(32), by: 'carol' });
  return lines;
}

async function startFake(): Promise<Fake> {
  const key = newKey();
  const fake = { key, lines: serviceLog(key), pages: [] as [string | null, string | null][] } as Omit<Fake, 'url' | 'server'> & { url: string; server: Server };
  fake.server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/key') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ algorithm: 'ed25519', public_key: key.spki, key_id: key.id }));
      return;
    }
    if (url.pathname === '/v1/audit/log') {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthenticated', message: 'no' } }));
        return;
      }
      const after = url.searchParams.get('after_seq');
      const limit = url.searchParams.get('limit');
      fake.pages.push([after, limit]);
      const from = after === null ? 0 : Number(after) + 1;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(Buffer.concat(fake.lines.slice(from, from + Number(limit ?? 1000))));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }));
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake as Fake;
}

describe('gate audit export --server against a local service', () => {
  let fake: Fake;
  let home: string;
  const run = (args: readonly string[]): Promise<GateResult> =>
    runGate(['audit', 'export', '--server', ...args], { home, env: { GATE_SERVER: fake.url, GATE_TOKEN: TOKEN } });

  beforeAll(async () => {
    fake = await startFake();
    home = join(root.path, 'auditor-home');
    writeFile(join(home, '.keep'), '');
  });
  afterAll(async () => {
    await new Promise((resolve) => fake?.server.close(resolve));
  });

  it('refuses when no key is trusted for the service here, and names the key it presents', async () => {
    const result = await run(['--format', 'csv', '--out', out()]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`no key is pinned on this host for the approval service at ${fake.url}`);
    expect(result.stderr).toContain(`the service presents key ${fake.key.id}`);
  });

  it('with --server-key: fetches every page, verifies, and writes one row per request with receipt checks', async () => {
    fake.pages.length = 0;
    const dir = out();
    const result = await run(['--format', 'csv', '--server-key', fake.key.spki, '--out', dir]);
    expect(result.code, result.stderr).toBe(0);
    // 1 + 2 + 24 * 5 + 24 * 2 + 24 * 2 + 1 = 220 lines: two pages of at most 200, then an empty one.
    expect(fake.lines).toHaveLength(220);
    expect(fake.pages).toEqual([
      [null, '200'],
      ['199', '200'],
      ['219', '200'],
    ]);
    const { rows } = readCsv(dir);
    expect(rows).toHaveLength(REQUESTS);
    const byOutcome = (o: string) => rows.filter((r) => r.outcome === o);
    expect(byOutcome('ran')).toHaveLength(24);
    expect(byOutcome('denied_by_approver')).toHaveLength(24);
    expect(byOutcome('expired')).toHaveLength(24);
    expect(rows[0]).toMatchObject({ request_id: 'req_0000', host: 'web-01', decided_by: 'alice', decision_channel: 'slack', server_receipt_valid: 'false', signature_valid: 'true' });
    expect(byOutcome('ran').slice(1).every((r) => r.server_receipt_valid === 'true')).toBe(true);
    expect(rows[3]).toMatchObject({ request_id: 'req_0003', exit_code: '1', duration_ms: '43', justification: 'INC-3', executed_at: expect.stringMatching(/^2026-05-01T/) });
    expect(rows[1]).toMatchObject({ decided_by: 'bob', decision_reason: 'no, 1', server_receipt_valid: '' });

    const manifest = manifestOf(dir);
    expect(manifest.log.id).toBe(fake.key.id);
    expect(manifest.counts).toMatchObject({ records: 220, commands: REQUESTS, outcomes: { ran: 24, denied_by_approver: 24, expired: 24 } });
    expect(await manifestVerifies(dir, 'exporter-key.pub.pem')).toBe(true);
    // Stock tools agree.
    const checkExport = writeFile(join(root.path, 'check-export.sh'), docsRecipe('check-export.sh'));
    const checkLog = writeFile(join(root.path, 'check-log.sh'), docsRecipe('check-log.sh'));
    expect((await runRecipe(checkExport, [dir], root.path)).code).toBe(0);
    const chain = await runRecipe(checkLog, ['audit.log', 'service-key.pub.pem', '0'.repeat(64)], dir);
    expect(chain.stdout).toContain('OK: 220 records');
  });

  it('filters requests like commands', async () => {
    const dir = out();
    expect((await run(['--format', 'csv', '--server-key', fake.key.spki, '--outcome', 'ran', '--limit', '5', '--out', dir])).code).toBe(0);
    expect(readCsv(dir).rows.map((r) => r.request_id)).toEqual(['req_0057', 'req_0060', 'req_0063', 'req_0066', 'req_0069']);
    const pending = out();
    expect((await run(['--format', 'jsonl', '--server-key', fake.key.spki, '--principal', 'bob', '--since', '2026-05-01T09:00:00Z', '--out', pending])).code).toBe(0);
    expect(manifestOf(pending).counts).toMatchObject({ commands: 24, outcomes: { denied_by_approver: 24 } });
  });

  it('uses the key pinned in known-servers.json, and refuses a service that presents another', async () => {
    writeFile(join(home, 'known-servers.json'), JSON.stringify({ version: 1, servers: { [fake.url]: { public_key: fake.key.spki, key_id: fake.key.id, pinned_at: '2026-05-01T00:00:00Z' } } }));
    expect((await run(['--format', 'csv', '--out', out()])).code).toBe(0);

    const other = newKey();
    const result = await run(['--format', 'csv', '--server-key', other.spki, '--out', out()]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`presents key ${fake.key.id}, but key ${other.id} is trusted for it here`);
  });

  it('exports a tampered service log as evidence of that, and exits 1', async () => {
    const original = fake.lines;
    fake.lines = original.map((line, i) => (i === 10 ? Buffer.from(line.toString('utf8').replace('"carol"', '"carl"')) : line));
    try {
      const dir = out();
      const result = await run(['--format', 'csv', '--server-key', fake.key.spki, '--out', dir]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('verification FAILED');
      expect(manifestOf(dir).verification.ok).toBe(false);
      const verification = JSON.parse(readFileSync(join(dir, 'verification.json'), 'utf8')) as { problems: { code: string; line: number }[] };
      expect(verification.problems.map((p) => `${p.code}@${p.line}`)).toEqual(['bad_signature@11', 'chain_break@12']);
    } finally {
      fake.lines = original;
    }
  });

  it('--log and --key do not apply to --server', async () => {
    const result = await run(['--format', 'csv', '--log', host.log]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('--log and --key do not apply');
  });
});
