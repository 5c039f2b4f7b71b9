import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approval/protocol.js';
import {
  api,
  createToken,
  gateAs,
  listRequests,
  Processes,
  startGateAs,
  startServe,
  type ClientIdentity,
  type Served,
} from '../helpers/approval-e2e.js';
import { tempDir, writeFile } from '../helpers/gate.js';
import { requireBuild } from './common.js';

// The whole approval loop with real processes only: `gate serve` on a random loopback port with a
// real SQLite file, the requester `gate -- cmd` and the approvers `gate approve|deny|requests`,
// each in its own GATE_HOME, all with the same fixture policy (server --policy, client GATE_POLICY).

requireBuild();

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: marker-dba
    decision: approve
    message: Making markers needs a DBA.
    program: make-marker
    approval: { from: [{ group: dba }], expires: 30s }
  - id: exit-two-dba
    decision: approve
    program: exit-with
    approval: { from: [{ group: dba, count: 2 }], expires: 30s }
  - id: print-short
    decision: approve
    program: print-argv
    approval: { from: [{ group: dba }], expires: 2s }
`;

/** What a careless client might carry: approval with no group at all. The server must not care. */
const LAX_POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: lax-marker
    decision: approve
    program: make-marker
    approval: { expires: 30s }
`;

const PRINCIPALS = {
  bot: ['agent', []],
  bot2: ['agent', []],
  hank: ['human', ['dev']],
  alice: ['human', ['dba']],
  bob: ['human', ['dba', 'sre']],
  carol: ['human', ['sre']],
} as const;
type Name = keyof typeof PRINCIPALS;

const serverProcesses = new Processes();
const processes = new Processes();
let root: { path: string; cleanup: () => void };
let serverHome = '';
let db = '';
let policyFile = '';
let laxPolicyFile = '';
let server: Served;
let port = 0;
const tokens = {} as Record<Name, string>;
let testNo = 0;
let work = '';

/** `name` as a client: its own GATE_HOME, the server URL and its token, the shared policy. */
const as = (name: Name, env: Record<string, string> = {}): ClientIdentity => ({
  home: join(root.path, 'homes', name),
  url: server.url,
  token: tokens[name],
  env: { GATE_POLICY: policyFile, ...env },
});

const restartServer = async (): Promise<void> => {
  server = await startServe({ home: serverHome, db, policy: policyFile, port }, serverProcesses);
};

/** The request as the server has it now (GET with the requester's token). */
const fetchRequest = async (id: string, token: string = tokens.bot): Promise<ApprovalRequest> => {
  const res = await api(server.url, 'GET', `/v1/requests/${id}`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/** Stderr lines that are JSON event objects (gate --json). */
const jsonEvents = (stderr: string): Record<string, unknown>[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  root = tempDir('gate-roundtrip-');
  serverHome = join(root.path, 'server-home');
  db = join(serverHome, 'approvals.db');
  policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
  laxPolicyFile = writeFile(join(root.path, 'lax.yaml'), LAX_POLICY);
  for (const name of Object.keys(PRINCIPALS)) writeFile(join(root.path, 'homes', name, '.keep'), '');
  // Concurrent writers are fine: SQLite serializes them (busy timeout).
  await Promise.all(
    (Object.entries(PRINCIPALS) as [Name, (typeof PRINCIPALS)[Name]][]).map(async ([name, [kind, groups]]) => {
      tokens[name] = await createToken(serverHome, db, name, kind, groups);
    }),
  );
  server = await startServe({ home: serverHome, db, policy: policyFile }, serverProcesses);
  port = server.port;
});

beforeEach(async () => {
  // A test that killed the server (or failed half-way through a restart) must not break the next.
  if (!server.alive()) await restartServer();
  work = join(root.path, `t${++testNo}`);
  writeFile(join(work, '.keep'), '');
});

afterEach(() => {
  processes.killAll();
});

afterAll(() => {
  processes.killAll();
  serverProcesses.killAll();
  root?.cleanup();
});

describe('approval round trips with real processes', () => {
  it('(a) approve: the requester waits, an approver approves, the command runs and the outcome is recorded', async () => {
    const marker = join(work, 'approved.marker');
    const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    // Non-TTY: plain timestamped lines, never a spinner.
    expect(gate.stderr()).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ gate: waiting for approval: ${id} \\(0 of 1 approval from dba\\)`, 'm'));
    expect(gate.stderr()).toContain('approval required by rule "marker-dba"');

    const pending = await listRequests(as('alice'));
    const listed = pending.find((r) => r.id === id);
    expect(listed).toMatchObject({ status: 'pending', requester: { name: 'bot', kind: 'agent' }, command: { argv: ['make-marker', marker] } });
    expect(listed!.rules.map((r) => `${r.source}:${r.id}`)).toEqual(['server:marker-dba', 'client:marker-dba']);
    expect(existsSync(marker)).toBe(false);
    expect(gate.ended()).toBe(false);

    const approved = await gateAs(as('alice'), ['approve', id, '--comment', 'go ahead']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved ${id}: the command may run now`);

    const result = await gate.result;
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(result.stderr).toContain('approval verified; running: make-marker');

    // The outcome is reported before gate exits.
    const all = await listRequests(as('alice'), true);
    const done = all.find((r) => r.id === id)!;
    expect(done).toMatchObject({ status: 'executed', outcome: { exit_code: 0 }, progress: 'executed (exit code 0)' });
    expect(done.approvals.map((a) => [a.approver, a.comment])).toEqual([['alice', 'go ahead']]);
    expect(done.receipt?.payload.approvers.map((a) => a.name)).toEqual(['alice']);
    // Nothing is left for approvers to decide.
    expect((await listRequests(as('bob'))).map((r) => r.id)).not.toContain(id);
  });

  it('(b) deny: the requester exits 126 with the reason verbatim, and nothing runs', async () => {
    const marker = join(work, 'denied.marker');
    const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    const denied = await gateAs(as('bob'), ['deny', id, '--reason', 'not during the freeze']);
    expect(denied.code, denied.stderr).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(126);
    expect(result.stderr).toContain('denied by bob: not during the freeze');
    expect(result.stderr).toContain(`command not run: make-marker ${marker}`);
    expect(existsSync(marker)).toBe(false);
    expect(await fetchRequest(id)).toMatchObject({ status: 'denied', denial: { by: 'bob', reason: 'not during the freeze', by_policy: false } });
  });

  it('(c) kill -9 of the server while the requester waits: restart on the same port and database, the requester reconnects by itself', async () => {
    const marker = join(work, 'restart.marker');
    const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    const before = server;
    before.child.kill('SIGKILL');
    expect((await before.exited).signal).toBe('SIGKILL');
    await gate.waitForStderr(/lost the connection to the approval service/);
    expect(gate.ended()).toBe(false);

    await restartServer();
    expect(server.port).toBe(before.port);
    // It comes back on its own (no approval yet, so only the retry loop can have done it).
    await gate.waitForStderr(/reconnected to the approval service/, 15_000);
    expect((await fetchRequest(id)).status).toBe('pending');

    const approved = await gateAs(as('alice'), ['approve', id]);
    expect(approved.code, approved.stderr).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect((await fetchRequest(id)).status).toBe('executed');
  });

  it('(d) racing decisions: two approvers (quorum 1) record one approval; approve vs deny ends one way only', async () => {
    const marker = join(work, 'race.marker');
    const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    const [a, b] = await Promise.all([gateAs(as('alice'), ['approve', id]), gateAs(as('bob'), ['approve', id])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const loser = a.code === 0 ? b : a;
    expect(loser.stderr).toContain(`cannot approve ${id}: the request was already decided (already_decided)`);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(0);
    const done = await fetchRequest(id);
    expect(done.status).toBe('executed');
    expect(done.approvals).toHaveLength(1);
    expect(done.approvals[0]!.approver).toBe(a.code === 0 ? 'alice' : 'bob');

    const marker2 = join(work, 'race2.marker');
    const gate2 = startGateAs(as('bot'), ['--', 'make-marker', marker2], processes);
    const id2 = await gate2.requestId();
    const [approve, deny] = await Promise.all([gateAs(as('alice'), ['approve', id2]), gateAs(as('bob'), ['deny', id2, '--reason', 'raced'])]);
    expect([approve.code, deny.code].sort()).toEqual([0, 1]);
    const result2 = await gate2.result;
    const final = await fetchRequest(id2);
    if (approve.code === 0) {
      expect(deny.stderr).toContain('(already_decided)');
      expect(result2.code, result2.stderr).toBe(0);
      expect(existsSync(marker2)).toBe(true);
      expect(final).toMatchObject({ status: 'executed' });
      expect(final.denial).toBeUndefined();
    } else {
      expect(approve.stderr).toContain('(already_decided)');
      expect(result2.code, result2.stderr).toBe(126);
      expect(existsSync(marker2)).toBe(false);
      expect(final).toMatchObject({ status: 'denied', approvals: [] });
      expect(final.receipt).toBeUndefined();
    }
  });

  it('(e) refused approvals: self-approval, an agent, a human outside the group; each exits non-zero with the code and the request stays pending', async () => {
    const marker = join(work, 'refused.marker');
    const gate = startGateAs(as('hank'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    const [self, agent, outsider] = await Promise.all([
      gateAs(as('hank'), ['approve', id]),
      gateAs(as('bot2'), ['approve', id]),
      gateAs(as('carol'), ['approve', id]),
    ]);
    for (const [result, code] of [
      [self, 'self_approval'],
      [agent, 'agent_cannot_approve'],
      [outsider, 'not_an_approver'],
    ] as const) {
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`cannot approve ${id}`);
      expect(result.stderr).toContain(`(${code})`);
      expect(result.stdout).toBe('');
    }
    const still = await fetchRequest(id, tokens.hank);
    expect(still).toMatchObject({ status: 'pending', approvals: [], progress: '0 of 1 approval from dba' });
    expect(gate.ended()).toBe(false);
    expect(existsSync(marker)).toBe(false);

    // Clean end: a real approver denies it.
    expect((await gateAs(as('alice'), ['deny', id, '--reason', 'done testing'])).code).toBe(0);
    expect((await gate.result).code).toBe(126);
  });

  it('(f) 2-of-dba: one approval leaves the requester waiting at 1 of 2; a second, distinct approver lets it run', async () => {
    const gate = startGateAs(as('bot'), ['--json', '--', 'exit-with', '7', 'ran'], processes);
    const id = await gate.requestId();
    await gate.waitForStderr(/"event":"created"/);
    expect(jsonEvents(gate.stderr())[0]).toMatchObject({ event: 'created', request_id: id, status: 'pending', progress: '0 of 2 approvals from dba' });

    const first = await gateAs(as('alice'), ['approve', id]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`your approval of ${id} is recorded; still needs: 1 of 2 approvals from dba`);
    await gate.waitForStderr(/"event":"approval"/);
    expect(jsonEvents(gate.stderr()).find((e) => e.event === 'approval')).toMatchObject({ approver: 'alice', progress: '1 of 2 approvals from dba', status: 'pending' });
    expect(gate.ended()).toBe(false);
    expect((await fetchRequest(id)).status).toBe('pending');
    // alice cannot count twice; bob still sees it.
    const again = await gateAs(as('alice'), ['approve', id]);
    expect([again.code, again.stderr.includes('(already_voted)')]).toEqual([1, true]);
    expect((await listRequests(as('bob'))).find((r) => r.id === id)?.progress).toBe('1 of 2 approvals from dba');

    const second = await gateAs(as('bob'), ['approve', id]);
    expect(second.code, second.stderr).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout).toBe('ran');
    const events = jsonEvents(result.stderr).map((e) => e.event);
    expect(events).toEqual(['created', 'approval', 'approved', 'executing']);
    expect((await fetchRequest(id)).approvals.map((a) => a.approver)).toEqual(['alice', 'bob']);
  });

  it('(g) expiry: no decision within 2s exits 124 and the command does not run', async () => {
    const gate = startGateAs(as('bot'), ['--', 'print-argv', 'must-not-run'], processes);
    const id = await gate.requestId();
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(124);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`approval request ${id} expired`);
    expect(result.ms).toBeLessThan(10_000);
    expect((await fetchRequest(id)).status).toBe('expired');
  });

  it('(h) SIGINT and SIGTERM to a waiting requester (no terminal): exit 130 and the server shows it cancelled', async () => {
    const markers = { SIGINT: join(work, 'int.marker'), SIGTERM: join(work, 'term.marker') };
    const gates = (['SIGINT', 'SIGTERM'] as const).map((signal) => ({ signal, gate: startGateAs(as('bot'), ['--', 'make-marker', markers[signal]], processes) }));
    await Promise.all(
      gates.map(async ({ signal, gate }) => {
        const id = await gate.requestId();
        gate.kill(signal);
        const result = await gate.result;
        expect(result.code, `${signal}: ${result.stderr}`).toBe(130);
        expect(result.stderr).toContain(`approval request ${id} cancelled`);
        expect(result.stderr).not.toContain('did not confirm');
        expect(existsSync(markers[signal])).toBe(false);
        expect(await fetchRequest(id)).toMatchObject({ status: 'cancelled', progress: 'cancelled by the requester' });
        // Approvers no longer see it, and cannot approve it any more.
        expect((await listRequests(as('alice'))).map((r) => r.id)).not.toContain(id);
      }),
    );
  });

  it('(i) an unreachable service fails fast with 125 and says what to check; so does a missing token', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const home = join(work, 'unreachable-home');
    const who: ClientIdentity = { home, url: '', env: { GATE_POLICY: policyFile, GATE_SERVER: undefined } };
    writeFile(join(home, '.keep'), '');
    expect((await gateAs(who, ['config', 'set', 'serverUrl', `http://127.0.0.1:${closed}`])).code).toBe(0);
    expect((await gateAs(who, ['config', 'set', 'token', tokens.bot])).code).toBe(0);
    const marker = join(work, 'unreachable.marker');
    const started = performance.now();
    const result = await gateAs(who, ['--', 'make-marker', marker]);
    const ms = performance.now() - started;
    expect(result.code, result.stderr).toBe(125);
    expect(ms).toBeLessThan(6_000);
    expect(result.stderr).toContain(`cannot reach the approval service at http://127.0.0.1:${closed}: connection refused`);
    expect(result.stderr).toContain('hint: check that `gate serve` is running there');
    expect(existsSync(marker)).toBe(false);

    const noToken = await gateAs({ home: join(work, 'no-token-home'), url: server.url, env: { GATE_POLICY: policyFile } }, ['--', 'make-marker', marker]);
    expect(noToken.code, noToken.stderr).toBe(125);
    expect(noToken.stderr).toContain(`no token for the approval service at ${server.url} is configured`);
    expect(noToken.stderr).toContain('gate config set token');
    expect(existsSync(marker)).toBe(false);
  });

  it('(j) the server re-evaluates: a laxer local policy (no group) does not lower the server’s bar (dba)', async () => {
    const marker = join(work, 'lax.marker');
    const gate = startGateAs(as('bot', { GATE_POLICY: laxPolicyFile }), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    expect(gate.stderr()).toContain('approval required by rule "lax-marker"');
    const request = await fetchRequest(id);
    expect(request.requirement.from).toEqual([{ group: 'dba', count: 1 }]);
    expect(request.rules.map((r) => `${r.source}:${r.id}`)).toEqual(['server:marker-dba', 'client:lax-marker']);

    expect((await listRequests(as('carol'))).map((r) => r.id)).not.toContain(id);
    const outsider = await gateAs(as('carol'), ['approve', id]);
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain('(not_an_approver)');
    expect(outsider.stderr).toContain('not in group dba');
    expect((await fetchRequest(id)).status).toBe('pending');
    expect(existsSync(marker)).toBe(false);

    expect((await gateAs(as('alice'), ['approve', id])).code).toBe(0);
    expect((await gate.result).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('(k) a receipt is used once: a second claim after the command ran is 409 already_claimed', async () => {
    const marker = join(work, 'claim.marker');
    const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
    const id = await gate.requestId();
    expect((await gateAs(as('bob'), ['approve', id])).code).toBe(0);
    expect((await gate.result).code).toBe(0);
    const done = await fetchRequest(id);
    expect(done.status).toBe('executed');
    const receiptId = done.receipt!.payload.receipt_id;
    const again = await api(server.url, 'POST', `/v1/requests/${id}/claim`, tokens.bot, { receipt_id: receiptId });
    expect([again.status, again.body.error?.code]).toEqual([409, 'already_claimed']);
    expect((await fetchRequest(id)).status).toBe('executed');
  });
});
