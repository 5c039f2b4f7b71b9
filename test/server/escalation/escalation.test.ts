import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../src/approval/protocol.js';
import { parseRequestEvent } from '../../../src/approval/wire.js';
import { mergeEscalations } from '../../../src/policy/decide.js';
import { evaluateRequest } from '../../../src/server/evaluate.js';
import type { FakeSlack } from '../../helpers/fake-slack.js';
import { compileYaml } from '../../helpers/policy.js';
import { clientDecision, createBody, http, openSse, tempDir, TestClock, type TempDir } from '../helpers.js';
import { CHANNELS, fakeSlack, startGate, type Gate } from '../reminders/harness.js';

// Escalation: after a delay, a second group may satisfy the requirement instead of the first.

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: db-drop
    decision: approve
    program: dropdb
    approval:
      from: [{ group: dba, count: 2 }]
      expires: 30m
      remind_before: false
      notify: { slack: [${CHANNELS.approvals}] }
      escalate: { after: 10m, to: [{ group: leads }], notify: { slack: [${CHANNELS.leads}] } }
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 30m, remind_before: false, notify: { slack: [${CHANNELS.approvals}] } }
`;

const ESCALATE = { after_seconds: 1, to: [{ group: 'dev', count: 1 }] };
const clientRequirement = (escalate = ESCALATE) => ({ from: [], expires_seconds: 1800, reason_required: false, on_behalf_may_approve: false, escalate });

describe('merging escalations', () => {
  const esc = (afterSeconds: number, ...to: [string, number][]) => ({ afterSeconds, to: to.map(([group, count]) => ({ group, count })) });

  it('never adds an easier path: one requirement without an escalation means none', () => {
    expect(mergeEscalations([esc(600, ['leads', 1]), undefined])).toEqual({});
    expect(mergeEscalations([])).toEqual({});
  });

  it('all with one: the latest delay and every escalation group, at its largest count', () => {
    expect(mergeEscalations([esc(600, ['leads', 1]), esc(1200, ['leads', 2], ['cto', 1])])).toEqual({ escalate: { afterSeconds: 1200, to: [{ group: 'leads', count: 2 }, { group: 'cto', count: 1 }] } });
  });

  it('policy: escalate.after must be a duration shorter than expires', () => {
    expect(() => compileYaml(POLICY.replace('after: 10m', 'after: 45m'))).toThrow(/shorter than expires/);
    expect(() => compileYaml(POLICY.replace('after: 10m', 'after: later'))).toThrow(/escalate/);
  });
});

describe("the server's policy decides the escalation; a client cannot loosen it", () => {
  const policy = compileYaml(POLICY);
  const evaluate = (argv: string[], client = clientDecision('allow')) => {
    const e = evaluateRequest(policy, { command: createBody(argv).command, env: {}, requester: 'agent', client });
    if (e.kind !== 'approve') throw new Error(`expected approve, got ${e.kind}`);
    return e.requirement;
  };

  it('carries the rule’s escalation to the requirement', () => {
    expect(evaluate(['dropdb', 'x']).escalate).toEqual({ after_seconds: 600, to: [{ group: 'leads', count: 1 }], notify: { slack: [CHANNELS.leads] } });
  });

  it("ignores a client's escalation when the server's requirement has none", () => {
    expect(evaluate(['deploy', 'x'], clientDecision('approve', { requirement: clientRequirement() })).escalate).toBeUndefined();
  });

  it("a client's escalation can only make the server's stricter (later, more groups), and never redirects its notify", () => {
    const merged = evaluate(['dropdb', 'x'], clientDecision('approve', { requirement: clientRequirement() }));
    expect(merged.escalate).toEqual({ after_seconds: 600, to: [{ group: 'leads', count: 1 }, { group: 'dev', count: 1 }], notify: { slack: [CHANNELS.leads] } });
  });
});

describe('escalation on the running server', () => {
  let dir: TempDir;
  let slack: FakeSlack;
  let gate: Gate | undefined;
  let clock: TestClock;

  beforeEach(async () => {
    dir = tempDir('gate-escalate-');
    slack = await fakeSlack().start();
    clock = new TestClock();
    gate = await startGate(dir.path, slack, { policy: POLICY, clock });
  });
  afterEach(async () => {
    await gate?.close();
    gate = undefined;
    await slack.close();
    dir.cleanup();
  });

  const passTime = async (minutes: number): Promise<void> => {
    clock.advance(minutes * 60);
    gate!.server.service.sweep();
    await gate!.idle();
  };
  const pendingFor = async (who: string): Promise<string[]> =>
    (await http<{ requests: ApprovalRequest[] }>(gate!.server.url, 'GET', '/v1/requests?status=pending', gate!.tokens[who]!)).body.requests.map((r) => r.id);

  it('before the delay the escalation group cannot approve; after it, one lead meets the quorum', async () => {
    const r = await gate!.create(['dropdb', 'orders']);
    expect((await gate!.act(r.id, 'approve', 'lee')).body.error?.code).toBe('not_an_approver');
    expect(await pendingFor('lee')).not.toContain(r.id);
    expect((await gate!.act(r.id, 'approve', 'bob')).body.status).toBe('pending');

    await passTime(10);
    expect(await pendingFor('lee')).toContain(r.id);
    const seen = await gate!.get(r.id);
    expect(seen.progress).toBe('1 of 2 approvals from dba; or escalated: 0 of 1 approval from leads');
    const approved = await gate!.act(r.id, 'approve', 'lee');
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.receipt?.payload.approvers.map((a) => a.name)).toEqual(['bob', 'lee']);
  });

  it('records `escalated` once, visible in the request JSON, over SSE (parsed by the client) and announced in the escalation channel', async () => {
    const r = await gate!.create(['dropdb', 'users']);
    await gate!.idle();
    expect(slack.messagesFor(r.id).map((m) => m.channel)).toEqual([CHANNELS.approvals]);
    const sse = openSse(gate!.server.url, `/v1/requests/${r.id}/events`, gate!.tokens.claude!);
    await sse.waitFor(1);

    await passTime(10);
    await passTime(1);
    const events = await sse.waitFor(2);
    expect(events.map((e) => e.type)).toEqual(['created', 'escalated']);
    expect(parseRequestEvent(JSON.parse(JSON.stringify(events[1]))).type).toBe('escalated');
    expect(events[1]!.request.progress).toContain('or escalated');
    expect((await gate!.get(r.id)).progress).toContain('or escalated: 0 of 1 approval from leads');

    const messages = slack.messagesFor(r.id);
    expect(messages.map((m) => m.channel).sort()).toEqual([CHANNELS.approvals, CHANNELS.leads]);
    // The first message was brought up to date with the escalation.
    expect(JSON.stringify(messages.find((m) => m.channel === CHANNELS.approvals)!.blocks)).toContain('or escalated');
    sse.close();
  });

  it('the requester cannot approve through the escalation either; a lead’s denial ends the request', async () => {
    const r = await gate!.create(['dropdb', 'billing'], 'sam');
    await passTime(10);
    expect((await gate!.act(r.id, 'approve', 'sam')).body.error?.code).toBe('self_approval');
    const denied = await gate!.act(r.id, 'deny', 'lee', { reason: 'not during the freeze' });
    expect(denied.body.status).toBe('denied');
  });

  it('an approval that arrives before the timer noticed the escalation records it first', async () => {
    const r = await gate!.create(['dropdb', 'race']);
    clock.advance(10 * 60); // no sweep: the vote itself is the first to see the escalation
    expect((await gate!.act(r.id, 'approve', 'lee')).body.status).toBe('approved');
    const requester = gate!.server.service.authenticate(`Bearer ${gate!.tokens.claude}`);
    expect(gate!.server.service.events(requester, r.id, 0).replay.map((e) => e.type)).toEqual(['created', 'escalated', 'approval', 'approved']);
    await gate!.idle();
  });

  it("a client's escalation claim does not let its group approve", async () => {
    const res = await http(gate!.server.url, 'POST', '/v1/requests', gate!.tokens.claude!, createBody(['deploy', 'x'], { client: clientDecision('approve', { requirement: clientRequirement({ after_seconds: 1, to: [{ group: 'leads', count: 1 }] }) }) }));
    expect(res.status).toBe(201);
    expect(res.body.requirement.escalate).toBeUndefined();
    await passTime(20);
    expect((await gate!.act(res.body.id, 'approve', 'lee')).body.error?.code).toBe('not_an_approver');
  });
});
