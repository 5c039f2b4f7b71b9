import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalClient } from '../../src/approval/client.js';
import { ApprovalError } from '../../src/approval/errors.js';
import { approveCommand, askCommand, denyCommand, duration, requestsCommand } from '../../src/cli/approver-cmd.js';
import { FakeApprovalServer } from '../helpers/fake-approval-server.js';
import { tempDir } from '../helpers/gate.js';

let fake: FakeApprovalServer;
let home: { path: string; cleanup: () => void };
let out = '';
let err = '';

beforeEach(async () => {
  fake = await FakeApprovalServer.start();
  home = tempDir('gate-approver-');
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  vi.stubEnv('GATE_HOME', home.path);
  vi.stubEnv('GATE_SERVER', fake.url);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await fake.close();
  home.cleanup();
});

/** A pending request from the agent `ci-bot`, acting for dana. */
async function pending(argv: string[] = ['psql', '-c', 'delete from users']): Promise<string> {
  const client = new ApprovalClient({ baseUrl: fake.url, token: 'tok-requester' });
  const request = await client.create({
    command: { argv, cwd: '/srv', host: 'web-1', program_path: `/usr/bin/${argv[0]}` },
    context: { os_user: 'deploy', on_behalf_of: 'dana', custom: {}, env: {}, gate_version: 'test' },
    client_decision: {
      decision: 'approve',
      rules: ['db-write'],
      requirement: { from: [{ group: 'dba', count: 1 }], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false },
      policy_digest: 'sha256:x',
    },
  });
  await client.close();
  return request.id;
}

const as = (token: string): void => void vi.stubEnv('GATE_TOKEN', token);

describe('approver commands', () => {
  it('gate requests: a table of what the approver may decide', async () => {
    const id = await pending(['psql', '-c', "delete from users where note = 'x\ty'"]);
    as('tok-alice');
    expect(await requestsCommand({ all: false, json: false })).toBe(0);
    const [head, row] = out.trimEnd().split('\n');
    expect(head).toMatch(/^ID\s+AGE\s+REQUESTER\s+COMMAND\s+RULES\s+PROGRESS\s+EXPIRES IN$/);
    expect(row).toContain(id);
    expect(row).toContain('ci-bot (agent, on behalf of dana)');
    expect(row).toContain(`psql -c $'delete from users where note = \\'x\\x09y\\''`);
    expect(row).toContain('db-write');
    expect(row).toContain('0 of 1 approvals from dba');
    expect(row).toMatch(/1[45]m$/);

    out = '';
    expect(await requestsCommand({ all: true, json: true })).toBe(0);
    expect(JSON.parse(out).requests[0].id).toBe(id);
    expect(fake.calls.map((c) => c.path)).toContain('/v1/requests?status=pending');
  });

  it('approve, deny and ask: the server decides, and its refusals are explained (exit 1)', async () => {
    const id = await pending();
    as('tok-eve');
    expect(await approveCommand(id, {})).toBe(1);
    expect(err).toContain(`gate: cannot approve ${id}: you are not in an approver group this request needs`);
    as('tok-requester');
    expect(await approveCommand(id, {})).toBe(1);
    expect(err).toContain('agents cannot approve');

    as('tok-bob');
    expect(await askCommand(id, 'Which rows?')).toBe(0);
    expect(out).toContain(`question sent to ci-bot about ${id}`);
    as('tok-alice');
    expect(await approveCommand(id, { comment: 'ok' })).toBe(0);
    expect(out).toContain(`approved ${id}: the command may run now`);
    expect(fake.request(id).approvals[0]).toMatchObject({ approver: 'alice', comment: 'ok' });
    expect(await approveCommand(id, {})).toBe(1);
    expect(err).toContain('the request was already decided');

    const other = await pending();
    as('tok-bob');
    expect(await denyCommand(other, { reason: 'Not during the freeze.' })).toBe(0);
    expect(fake.request(other).denial).toMatchObject({ by: 'bob', reason: 'Not during the freeze.' });
    expect(await approveCommand('req_nope', {})).toBe(1);
    expect(err).toContain('no such request');
  });

  it('a failure to talk to the server at all is not a refusal: it is thrown (exit 125)', async () => {
    as('tok-alice');
    fake.fail('GET', '/v1/requests', 'malformed');
    await expect(requestsCommand({ all: false, json: false })).rejects.toMatchObject({ problem: 'malformed' });
    vi.stubEnv('GATE_SERVER', '');
    await expect(requestsCommand({ all: false, json: false })).rejects.toBeInstanceOf(ApprovalError);
  });

  it('formats ages and remaining times compactly', () => {
    expect([duration(5_000), duration(90_000), duration(3_700_000), duration(200_000_000), duration(-1)]).toEqual(['5s', '1m', '1h01m', '2d', 'expired']);
  });
});
