import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Processes, startServe, type Served } from '../helpers/approval-e2e.js';
import { ROOT, runGate } from '../helpers/gate.js';
import { clientDecision, createBody, http, openSse, POLICY_YAML, tempDir, type TempDir } from './helpers.js';

// The built CLI as a real process: `gate serve` and `gate token`, on one GATE_HOME.
let home: TempDir;
let policyFile: string;
const processes = new Processes();
const tokens: Record<string, string> = {};

const serve = (args: string[] = []): Promise<Served> => startServe({ home: home.path, policy: policyFile, args }, processes);

async function token(name: string, kind: string, groups = ''): Promise<string> {
  const result = await runGate(['token', 'create', '--name', name, '--kind', kind, ...(groups ? ['--groups', groups] : [])], { home: home.path });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  home = tempDir('gate-serve-e2e-');
  policyFile = join(home.path, 'policy.yaml');
  writeFileSync(policyFile, POLICY_YAML);
  tokens.bot = await token('bot', 'agent');
  tokens.alice = await token('alice', 'human', 'sre,dba');
  tokens.bob = await token('bob', 'human', 'dba');
  tokens.carol = await token('carol', 'human', 'security');
});
afterEach(() => {
  processes.killAll();
});
afterAll(() => home.cleanup());

describe('gate token', () => {
  it('prints a token once and keeps only its hash', async () => {
    expect(tokens.bot).toMatch(/^gate_[A-Za-z0-9_-]{43}$/);
    const list = await runGate(['token', 'list', '--json'], { home: home.path });
    expect(list.code).toBe(0);
    const principals = (JSON.parse(list.stdout) as { principals: { name: string; kind: string; groups: string[] }[] }).principals;
    expect(principals.map((p) => [p.name, p.kind, p.groups.join(',')])).toEqual([
      ['bot', 'agent', ''],
      ['alice', 'human', 'sre,dba'],
      ['bob', 'human', 'dba'],
      ['carol', 'human', 'security'],
    ]);
    expect(list.stdout).not.toContain(tokens.bot!.slice(5, 20));
    expect((await runGate(['token', 'list'], { home: home.path })).stdout).toMatch(/^ID\s+NAME\s+KIND\s+GROUPS\s+CREATED\s+STATUS\n/);
  });

  it('refuses duplicate names, bad kinds and unknown revocations', async () => {
    expect((await runGate(['token', 'create', '--name', 'bot', '--kind', 'agent'], { home: home.path })).code).toBe(125);
    expect((await runGate(['token', 'create', '--name', 'x', '--kind', 'robot'], { home: home.path })).code).toBe(125);
    expect((await runGate(['token', 'revoke', 'nobody'], { home: home.path })).code).toBe(125);
  });
});

describe('gate serve', () => {
  it('refuses to start with an invalid policy (exit 125)', async () => {
    const bad = join(home.path, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - id: x\n    decision: maybe\n');
    const result = await runGate(['serve', '--listen', '127.0.0.1:0', '--policy', bad], { home: home.path });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('invalid policy');
  });

  it('creates its key owner-only and serves it; a revoked token stops working while it runs', async () => {
    const s = await serve();
    const keyPath = join(home.path, 'server', 'server-key.pem');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.path, 'server')).mode & 0o777).toBe(0o700);
    const key = (await (await fetch(`${s.url}/v1/key`)).json()) as { key_id: string };
    await expect.poll(() => s.lines[1]).toContain(`key id ${key.key_id}`);
    const extra = await token('temp', 'human');
    expect((await http(s.url, 'GET', '/v1/requests', extra)).status).toBe(200);
    expect((await runGate(['token', 'revoke', 'temp'], { home: home.path })).code).toBe(0);
    expect((await http(s.url, 'GET', '/v1/requests', extra)).status).toBe(401);
  });

  it('survives kill -9: pending stays pending, can be approved, and SSE resumes with Last-Event-ID', async () => {
    let s = await serve();
    const pg = createBody(['psql', '-c', 'drop table t'], { context: { env: { PGHOST: 'db.prod' }, reason: 'cleanup' }, client: clientDecision('allow') });
    const created = await http(s.url, 'POST', '/v1/requests', tokens.bot!, pg);
    expect(created.body.status).toBe('pending');
    const id = created.body.id;
    const denied = await http(s.url, 'POST', '/v1/requests', tokens.bot!, createBody(['kubectl', 'delete', 'ns', 'x'], { client: clientDecision('allow') }));
    await http(s.url, 'POST', `/v1/requests/${denied.body.id}/deny`, tokens.alice!, { reason: 'no' });

    const first = openSse(s.url, `/v1/requests/${id}/events`, tokens.bot!);
    await first.waitFor(1);
    await http(s.url, 'POST', `/v1/requests/${id}/approve`, tokens.alice!, {});
    await first.waitFor(2);

    s.child.kill('SIGKILL');
    expect((await s.exited).signal).toBe('SIGKILL');
    await first.ended;
    expect(first.events.map((e) => e.seq)).toEqual([1, 2]);

    s = await serve();
    const after = await http(s.url, 'GET', `/v1/requests/${id}`, tokens.bot!);
    expect(after.body.status).toBe('pending');
    expect(after.body.approvals.map((a) => a.approver)).toEqual(['alice']);
    expect((await http(s.url, 'GET', `/v1/requests/${denied.body.id}`, tokens.bot!)).body.status).toBe('denied');
    expect((await http(s.url, 'POST', `/v1/requests/${id}/approve`, tokens.alice!, {})).body.error?.code).toBe('already_voted');

    // Missed while disconnected: bob's approval (3). Then live: carol's approval and the decision.
    await http(s.url, 'POST', `/v1/requests/${id}/approve`, tokens.bob!, {});
    const resumed = openSse(s.url, `/v1/requests/${id}/events`, tokens.bot!, first.events.at(-1)!.seq);
    await resumed.waitFor(1);
    const done = await http(s.url, 'POST', `/v1/requests/${id}/approve`, tokens.carol!, {});
    expect(done.body.status).toBe('approved');
    await resumed.waitFor(3);
    expect(resumed.events.map((e) => `${e.seq}:${e.type}`)).toEqual(['3:approval', '4:approval', '5:approved']);
    const claim = await http(s.url, 'POST', `/v1/requests/${id}/claim`, tokens.bot!, { receipt_id: done.body.receipt!.payload.receipt_id });
    expect(claim.body.status).toBe('executing');
    await http(s.url, 'POST', `/v1/requests/${id}/outcome`, tokens.bot!, { exit_code: 0, duration_ms: 5 });
    await resumed.ended;
    expect(resumed.events.map((e) => `${e.seq}:${e.type}`)).toEqual(['3:approval', '4:approval', '5:approved', '6:executing', '7:executed']);
  });

  it('re-arms the expiry timer after a restart', async () => {
    let s = await serve();
    const created = await http(s.url, 'POST', '/v1/requests', tokens.bot!, createBody(['soon-lived'], { client: clientDecision('allow') }));
    s.child.kill('SIGKILL');
    await s.exited;
    s = await serve();
    const sse = openSse(s.url, `/v1/requests/${created.body.id}/events`, tokens.bot!, 1);
    await sse.ended;
    expect(sse.events.map((e) => `${e.seq}:${e.type}`)).toEqual(['2:expired']);
  });

  it('shuts down gracefully on SIGTERM, ending open streams', async () => {
    const s = await serve();
    const created = await http(s.url, 'POST', '/v1/requests', tokens.bot!, createBody(['kubectl', 'delete', 'ns', 'y'], { client: clientDecision('allow') }));
    const sse = openSse(s.url, `/v1/requests/${created.body.id}/events`, tokens.bot!);
    await sse.waitFor(1);
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    await sse.ended;
    expect(s.lines.some((l) => l.includes('SIGTERM: shutting down'))).toBe(true);
  });
});
