import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest, RequestEvent } from '../../src/approval/protocol.js';
import { commandDigest } from '../../src/approval/digest.js';
import { verifyReceipt } from '../../src/approval/receipt.js';
import { clientDecision, createBody, harness, tempDir, type Harness, type TempDir } from './helpers.js';

let dir: TempDir;
let h: Harness;
beforeEach(async () => {
  dir = tempDir();
  h = await harness(dir.path);
});
afterEach(() => {
  h.close();
  dir.cleanup();
});

const K8S = ['kubectl', 'delete', 'ns', 'x'];
const PG_BODY = () => createBody(['psql', '-c', 'drop table t'], { context: { env: { PGHOST: 'db.prod' }, reason: 'cleanup' } });

async function create(argv = K8S, token = h.tokens.bot!, body = createBody(argv)): Promise<ApprovalRequest> {
  const res = await h.call('POST', '/v1/requests', token, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
const act = (id: string, action: string, who: string, body: unknown = {}) => h.call('POST', `/v1/requests/${id}/${action}`, h.tokens[who]!, body);
const storedEvents = (id: string): RequestEvent[] => h.store.eventsAfter(id, 0).map((e) => JSON.parse(e.data) as RequestEvent);

describe('authentication', () => {
  it('health and key need no token', async () => {
    expect((await h.call('GET', '/v1/health', undefined)).body).toEqual({ ok: true, version: 'test' });
    const key = (await h.call('GET', '/v1/key', undefined)).body as unknown as { key_id: string };
    expect(key.key_id).toBe(h.key.keyId);
  });

  it.each([
    ['no header', undefined],
    ['an unknown token', 'gate_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed header value', 'not a token'],
  ])('%s -> 401 unauthenticated', async (_, token) => {
    const res = await h.call('GET', '/v1/requests', token);
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('unauthenticated');
  });

  it('a revoked token stops working immediately', async () => {
    expect((await h.call('GET', '/v1/requests', h.tokens.bob)).status).toBe(200);
    h.store.revokePrincipal('bob', h.clock.now().toISOString());
    const res = await h.call('GET', '/v1/requests', h.tokens.bob);
    expect([res.status, res.body.error?.code]).toEqual([401, 'unauthenticated']);
  });
});

describe('validation', () => {
  const bad = async (body: unknown, field: string, status = 400): Promise<void> => {
    const res = await h.call('POST', '/v1/requests', h.tokens.bot, body);
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe('bad_request');
    expect(res.body.error?.message).toContain(field);
  };

  it('rejects malformed JSON', async () => {
    await bad('{"command": ', 'not valid JSON');
  });

  it('names an unknown field', async () => {
    await bad({ ...createBody(K8S), extra: 1 }, 'extra: unknown field');
    const body = createBody(K8S);
    await bad({ ...body, command: { ...body.command, env: 'x' } }, 'command.env: unknown field');
  });

  it('names a missing field', async () => {
    const { cwd: _, ...command } = createBody(K8S).command;
    await bad({ ...createBody(K8S), command }, 'command.cwd: missing field');
  });

  it('names a wrongly typed field', async () => {
    const body = createBody(K8S);
    await bad({ ...body, command: { ...body.command, argv: ['kubectl', 7] } }, 'command.argv[1]: expected a string');
    await bad({ ...body, client_decision: { ...body.client_decision, decision: 'maybe' } }, 'client_decision.decision');
    await bad(
      { ...body, client_decision: { ...body.client_decision, requirement: { ...body.client_decision.requirement, from: [{ group: 'sre', count: 0 }] } } },
      'client_decision.requirement.from[0].count',
    );
    await bad({ ...body, context: { ...body.context, env: { PGHOST: 1 } } }, 'context.env.PGHOST');
  });

  it('refuses a body over 256 KB with 413', async () => {
    await bad({ ...createBody(K8S), context: { ...createBody(K8S).context, reason: 'x'.repeat(300 * 1024) } }, 'exceeds', 413);
  });

  it('refuses shell text that is not the -c argument of a shell', async () => {
    const body = createBody(['rm', '-rf', '/']);
    await bad({ ...body, command: { ...body.command, shell_text: 'ls' } }, 'command.shell_text');
  });

  it('checks action bodies too', async () => {
    const r = await create();
    const res = await act(r.id, 'approve', 'bob', { comment: 5 });
    expect([res.status, res.body.error?.message]).toEqual([400, 'invalid request body: comment: expected a string, got a number']);
    expect((await act(r.id, 'claim', 'bot', {})).body.error?.message).toContain('receipt_id: missing field');
  });

  it('refuses a bad status filter and a bad Last-Event-ID', async () => {
    expect((await h.call('GET', '/v1/requests?status=nope', h.tokens.bob)).status).toBe(400);
    const r = await create();
    const res = await h.app.request(`/v1/requests/${r.id}/events`, { headers: { authorization: `Bearer ${h.tokens.bot}`, 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
  });

  it('answers unknown routes and actions with not_found', async () => {
    expect((await h.call('GET', '/v1/nope', h.tokens.bob)).body.error?.code).toBe('not_found');
    const r = await create();
    expect((await act(r.id, 'bless', 'bob')).status).toBe(404);
    expect((await h.call('GET', '/v1/requests/req_missing', h.tokens.bob)).status).toBe(404);
    expect((await act('req_missing', 'approve', 'bob')).body.error?.code).toBe('not_found');
  });
});

describe('creating a request: the server re-evaluates', () => {
  it('a client claiming allow for kubectl delete gets a pending request with the server requirement', async () => {
    const r = await create(K8S, h.tokens.bot, createBody(K8S, { client: clientDecision('allow') }));
    expect(r.status).toBe('pending');
    expect(r.requirement).toEqual({ from: [{ group: 'sre', count: 1 }], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false });
    expect(r.rules.map((x) => x.id)).toEqual(['k8s-delete']);
    expect(r.expires_at).toBe('2030-01-01T00:10:00.000Z');
    expect(r.progress).toBe('0 of 1 approval from sre');
    expect(r.url).toBe(`https://gate.example/requests/${r.id}`);
    expect(r.id).toMatch(/^req_[a-z2-7]{20}$/);
    expect(r.requester).toEqual({ name: 'bot', kind: 'agent', groups: [] });
    expect(r.command_digest).toBe(commandDigest(createBody(K8S).command, 'bot'));
  });

  it('a server deny wins: the request is stored already denied by policy', async () => {
    const r = await create(['rm', '-rf', '/']);
    expect(r.status).toBe('denied');
    expect(r.denial).toMatchObject({ by: 'policy', by_policy: true });
    expect(r.denial?.reason).toContain('Never delete the root.');
    expect(storedEvents(r.id).map((e) => e.type)).toEqual(['created', 'denied']);
  });

  it('both allow: 400, nothing to approve', async () => {
    const res = await h.call('POST', '/v1/requests', h.tokens.bot, createBody(['ls'], { client: clientDecision('allow') }));
    expect([res.status, res.body.error?.code]).toEqual([400, 'bad_request']);
    expect(res.body.error?.message).toContain('nothing to approve');
  });

  it('the requester kind comes from the token, not the client', async () => {
    const push = createBody(['git', 'push'], { client: clientDecision('allow') });
    expect((await h.call('POST', '/v1/requests', h.tokens.dev, push)).status).toBe(400);
    expect((await create(['git', 'push'], h.tokens.bot, push)).status).toBe('pending');
  });

  it('a rule with reason_required refuses a request without a reason', async () => {
    const body = createBody(['psql'], { context: { env: { PGHOST: 'db.prod' } } });
    const res = await h.call('POST', '/v1/requests', h.tokens.bot, body);
    expect([res.status, res.body.error?.code]).toEqual([400, 'reason_required']);
    expect((await create(['psql'], h.tokens.bot, PG_BODY())).status).toBe('pending');
  });

  it('returns only the env names the policy reads', async () => {
    expect((await h.call('GET', '/v1/policy/env', h.tokens.bot)).body).toEqual({ names: ['PGHOST'] });
  });
});

describe('who may approve', () => {
  it.each([
    ['bot', 'agent_cannot_approve'],
    ['ci-runner', 'agent_cannot_approve'],
    ['dev', 'not_an_approver'],
  ])('%s -> 403 %s', async (who, code) => {
    const r = await create();
    const res = await act(r.id, 'approve', who);
    expect([res.status, res.body.error?.code]).toEqual([403, code]);
    expect((await act(r.id, 'deny', who, { reason: 'no' })).body.error?.code).toBe(code);
  });

  it('never the requester, even a human in the right group', async () => {
    const r = await create(K8S, h.tokens.alice);
    expect((await act(r.id, 'approve', 'alice')).body.error?.code).toBe('self_approval');
  });

  it('never the on-behalf-of human, unless the rule allows it', async () => {
    const r = await create(K8S, h.tokens.bot, createBody(K8S, { context: { on_behalf_of: 'bob' } }));
    const res = await act(r.id, 'approve', 'bob');
    expect([res.status, res.body.error?.code]).toEqual([403, 'self_approval']);
    // The client's own requirement says no (merged: every requirement must allow it)...
    const strict = await create(['deploy'], h.tokens.bot, createBody(['deploy'], { context: { on_behalf_of: 'bob' } }));
    expect((await act(strict.id, 'approve', 'bob')).body.error?.code).toBe('self_approval');
    // ...when only the server's rule applies, its on_behalf_may_approve holds.
    const deploy = await create(['deploy'], h.tokens.bot, createBody(['deploy'], { context: { on_behalf_of: 'bob' }, client: clientDecision('allow') }));
    expect(deploy.requirement.on_behalf_may_approve).toBe(true);
    expect((await act(deploy.id, 'approve', 'bob')).body.status).toBe('approved');
  });

  it('one vote per approver', async () => {
    const r = await create(['psql'], h.tokens.bot, PG_BODY());
    expect((await act(r.id, 'approve', 'alice')).status).toBe(200);
    const again = await act(r.id, 'approve', 'alice');
    expect([again.status, again.body.error?.code]).toEqual([409, 'already_voted']);
    expect((await act(r.id, 'deny', 'alice', { reason: 'changed my mind' })).body.error?.code).toBe('already_voted');
  });
});

describe('quorum across groups', () => {
  it('dba x2 + security x1 with overlapping members: one person fills one slot', async () => {
    const r = await create(['psql'], h.tokens.bot, PG_BODY());
    expect(r.progress).toBe('0 of 2 approvals from dba; 0 of 1 from security');
    let res = await act(r.id, 'approve', 'carol', { comment: 'ok' }); // dba + security
    expect(res.body.status).toBe('pending');
    res = await act(r.id, 'approve', 'dave'); // dba
    expect(res.body.status).toBe('pending');
    // Two slots filled; carol sits in a dba slot for now.
    expect(res.body.progress).toBe('2 of 2 approvals from dba; 0 of 1 from security');
    // alice is dba only: she completes the quorum only if carol moves to the security slot,
    // which a greedy first-fit count would never do.
    res = await act(r.id, 'approve', 'alice');
    expect(res.status).toBe(200);
    const done = res.body;
    expect(done.status).toBe('approved');
    expect(done.approvals.map((a) => a.approver)).toEqual(['carol', 'dave', 'alice']);
    expect(done.approvals[0]).toMatchObject({ kind: 'human', groups: ['dba', 'security'], channel: 'api', comment: 'ok' });
    const payload = verifyReceipt(done.receipt, h.key.publicKey, {
      requestId: r.id,
      commandDigest: commandDigest(PG_BODY().command, 'bot'),
      requester: 'bot',
      now: h.clock.now(),
    });
    expect(payload.approvers.map((a) => a.name)).toEqual(['carol', 'dave', 'alice']);
    expect(payload.not_after).toBe('2030-01-01T00:05:00.000Z');
    expect(payload.receipt_id).toMatch(/^rcpt_/);
    expect(storedEvents(r.id).map((e) => `${e.seq}:${e.type}`)).toEqual(['1:created', '2:approval', '3:approval', '4:approval', '5:approved']);
  });

  it('approving a decided request is a conflict', async () => {
    const r = await create();
    await act(r.id, 'approve', 'bob');
    expect((await act(r.id, 'approve', 'alice')).body.error?.code).toBe('already_decided');
  });
});

describe('denial, expiry, questions, cancel', () => {
  it('one denial ends the request, and it needs a reason', async () => {
    const r = await create(['psql'], h.tokens.bot, PG_BODY());
    await act(r.id, 'approve', 'carol');
    for (const body of [{}, { reason: '  ' }]) {
      const res = await act(r.id, 'deny', 'dave', body);
      expect([res.status, res.body.error?.code]).toEqual([400, 'reason_required']);
    }
    const res = await act(r.id, 'deny', 'dave', { reason: 'not during the freeze' });
    expect(res.body.status).toBe('denied');
    expect(res.body.denial).toEqual({ by: 'dave', reason: 'not during the freeze', at: '2030-01-01T00:00:00.000Z', by_policy: false });
    expect((await act(r.id, 'approve', 'alice')).body.error?.code).toBe('already_decided');
  });

  it('expiry is its own status, not a denial, and is applied lazily on read', async () => {
    const r = await create();
    h.clock.advance(599);
    expect((await h.call('GET', `/v1/requests/${r.id}`, h.tokens.bot)).body.status).toBe('pending');
    h.clock.advance(1);
    const got = (await h.call('GET', `/v1/requests/${r.id}`, h.tokens.bot)).body;
    expect(got.status).toBe('expired');
    expect(got.denial).toBeUndefined();
    expect((await act(r.id, 'approve', 'bob')).body.error?.code).toBe('already_decided');
    expect(storedEvents(r.id).map((e) => e.type)).toEqual(['created', 'expired']);
  });

  it('a transition on an overdue request records the expiry even though the action is refused', async () => {
    const r = await create();
    h.clock.advance(3600);
    expect((await act(r.id, 'approve', 'bob')).body.error?.code).toBe('already_decided');
    expect(h.store.getRequest(r.id)?.status).toBe('expired');
  });

  it('ask and reply: questions from approvers, answers from the requester', async () => {
    const r = await create();
    expect((await act(r.id, 'ask', 'bot', { question: 'why?' })).body.error?.code).toBe('agent_cannot_approve');
    expect((await act(r.id, 'reply', 'bot', { answer: 'nothing asked' })).status).toBe(400);
    const asked = await act(r.id, 'ask', 'bob', { question: 'which cluster?' });
    expect(asked.body.status).toBe('pending');
    const q = asked.body.questions[0]!;
    expect(q).toMatchObject({ by: 'bob', question: 'which cluster?' });
    expect((await act(r.id, 'reply', 'bob', { answer: 'x' })).body.error?.code).toBe('forbidden');
    expect((await act(r.id, 'reply', 'bot', { answer: 'y', question_id: 'q_nope' })).status).toBe(400);
    const replied = await act(r.id, 'reply', 'bot', { answer: 'staging', question_id: q.id });
    expect(replied.body.questions[0]).toMatchObject({ answer: 'staging', answered_at: '2030-01-01T00:00:00.000Z' });
    expect(storedEvents(r.id).map((e) => e.type)).toEqual(['created', 'question', 'answer']);
  });

  it('only the requester cancels, once', async () => {
    const r = await create();
    expect((await act(r.id, 'cancel', 'bob')).body.error?.code).toBe('forbidden');
    expect((await act(r.id, 'cancel', 'bot')).body.status).toBe('cancelled');
    expect((await act(r.id, 'cancel', 'bot')).body.error?.code).toBe('already_decided');
  });
});

describe('claim and outcome', () => {
  async function approved(): Promise<ApprovalRequest> {
    const r = await create();
    return (await act(r.id, 'approve', 'bob')).body;
  }

  it('claims exactly once, then reports the outcome', async () => {
    const r = await approved();
    const receipt_id = r.receipt!.payload.receipt_id;
    expect((await act(r.id, 'claim', 'bob', { receipt_id })).body.error?.code).toBe('forbidden');
    expect((await act(r.id, 'claim', 'bot', { receipt_id: 'rcpt_other' })).status).toBe(400);
    expect((await act(r.id, 'outcome', 'bot', { exit_code: 0, duration_ms: 1 })).status).toBe(400);
    const claimed = await act(r.id, 'claim', 'bot', { receipt_id });
    expect(claimed.body.status).toBe('executing');
    const second = await act(r.id, 'claim', 'bot', { receipt_id });
    expect([second.status, second.body.error?.code]).toEqual([409, 'already_claimed']);
    const done = await act(r.id, 'outcome', 'bot', { exit_code: 3, duration_ms: 12.5, signal: 'SIGTERM' });
    expect(done.body).toMatchObject({ status: 'executed', outcome: { exit_code: 3, duration_ms: 12.5, signal: 'SIGTERM' }, progress: 'executed (exit code 3)' });
    expect((await act(r.id, 'outcome', 'bot', { exit_code: 0, duration_ms: 1 })).body.error?.code).toBe('already_decided');
    expect(storedEvents(r.id).map((e) => e.type)).toEqual(['created', 'approval', 'approved', 'executing', 'executed']);
  });

  it('a pending request has nothing to claim', async () => {
    const r = await create();
    expect((await act(r.id, 'claim', 'bot', { receipt_id: 'rcpt_x' })).status).toBe(400);
  });

  it('an expired receipt is 410 receipt_expired', async () => {
    const r = await approved();
    h.clock.advance(301);
    const res = await act(r.id, 'claim', 'bot', { receipt_id: r.receipt!.payload.receipt_id });
    expect([res.status, res.body.error?.code]).toEqual([410, 'receipt_expired']);
  });
});

describe('visibility and listing', () => {
  it('only the requester and eligible approvers may read a request', async () => {
    const r = await create();
    expect((await h.call('GET', `/v1/requests/${r.id}`, h.tokens.bot)).status).toBe(200);
    expect((await h.call('GET', `/v1/requests/${r.id}`, h.tokens.bob)).status).toBe(200);
    const res = await h.call('GET', `/v1/requests/${r.id}`, h.tokens.dev);
    expect([res.status, res.body.error?.code]).toEqual([403, 'forbidden']);
    const sse = await h.app.request(`/v1/requests/${r.id}/events`, { headers: { authorization: `Bearer ${h.tokens.dev}` } });
    expect(sse.status).toBe(403);
  });

  it('approvers list what they may still decide; requesters list their own', async () => {
    const k8s = await create();
    const pg = await create(['psql'], h.tokens.bot, PG_BODY());
    const mine = await create(K8S, h.tokens.dev);
    type List = { requests: ApprovalRequest[] };
    const ids = async (who: string, query = '?status=pending') => (await h.call<List>('GET', `/v1/requests${query}`, h.tokens[who])).body.requests.map((r) => r.id).sort();
    expect(await ids('bob')).toEqual([k8s.id, mine.id].sort());
    expect(await ids('erin')).toEqual([pg.id]);
    expect(await ids('dev')).toEqual([mine.id]);
    expect(await ids('bot')).toEqual([k8s.id, pg.id].sort());
    await act(k8s.id, 'approve', 'bob');
    expect(await ids('bob')).toEqual([mine.id]);
    expect(await ids('bob', '?status=approved')).toEqual([k8s.id]);
    expect(await ids('bob', '')).toEqual([k8s.id, mine.id].sort());
  });
});

describe('failures', () => {
  it('an unexpected exception is a 500 that leaks nothing', async () => {
    const logged: string[] = [];
    const { createApp } = await import('../../src/server/app.js');
    const app = createApp(h.service, h.streams, { version: 'test', logError: (l) => logged.push(l) });
    h.store.close();
    const res = await app.request('/v1/requests', { headers: { authorization: `Bearer ${h.tokens.bob}` } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    expect(logged.join('\n')).toContain('internal error on GET /v1/requests');
    expect(logged.join('\n')).not.toContain(h.tokens.bob);
  });
});
