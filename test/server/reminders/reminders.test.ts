import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reminderAt, timeLeft } from '../../../src/server/reminders/due.js';
import { evaluateRequest } from '../../../src/server/evaluate.js';
import type { FakeSlack, StoredMessage } from '../../helpers/fake-slack.js';
import { compileYaml } from '../../helpers/policy.js';
import { clientDecision, createBody, tempDir, TestClock, type TempDir } from '../helpers.js';
import { until } from '../notify/slack/harness.js';
import { CHANNELS, fakeSlack, startGate, type Gate } from './harness.js';

// Reminders: once, before expiry, in the request's thread, durable across restarts.

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 10m, notify: { slack: [${CHANNELS.approvals}] } }
  - id: quiet
    decision: approve
    program: quiet
    approval: { from: [{ group: sre }], expires: 10m, remind_before: false, notify: { slack: [${CHANNELS.approvals}] } }
  - id: early
    decision: approve
    program: early
    approval: { from: [{ group: sre }], expires: 1h, remind_before: 30m, notify: { slack: [${CHANNELS.approvals}] } }
  - id: fast
    decision: approve
    program: fast
    approval: { from: [{ group: sre }], expires: 30s, remind_before: 29s, notify: { slack: [${CHANNELS.approvals}] } }
`;

const at = (created: string, minutes: number): string => new Date(Date.parse(created) + minutes * 60_000).toISOString();
const request = (lifetimeMinutes: number, remind?: number) => {
  const created = '2030-01-01T00:00:00.000Z';
  return {
    created_at: created,
    expires_at: at(created, lifetimeMinutes),
    requirement: { from: [], expires_seconds: lifetimeMinutes * 60, reason_required: false, on_behalf_may_approve: false, ...(remind !== undefined ? { remind_before_seconds: remind } : {}) },
  };
};

describe('when a reminder is due (pure)', () => {
  it('defaults to 20% of the lifetime or 5 minutes before expiry, whichever is later', () => {
    // 15 minutes: 20% is 3m, later than 5m before.
    expect(reminderAt(request(15))).toBe(Date.parse(at('2030-01-01T00:00:00.000Z', 12)));
    // 1 hour: 20% is 12m before; 5m before is later.
    expect(reminderAt(request(60))).toBe(Date.parse(at('2030-01-01T00:00:00.000Z', 55)));
  });

  it('takes the rule’s lead; 0 turns it off; a lead as long as the lifetime sends none', () => {
    expect(reminderAt(request(60, 1800))).toBe(Date.parse(at('2030-01-01T00:00:00.000Z', 30)));
    expect(reminderAt(request(60, 0))).toBeUndefined();
    expect(reminderAt(request(10, 600))).toBeUndefined();
  });

  it('a request of under 5 minutes gets no default reminder (a lead under a minute), but an explicit one', () => {
    expect(reminderAt(request(4))).toBeUndefined();
    expect(reminderAt(request(5))).toBe(Date.parse(at('2030-01-01T00:00:00.000Z', 4)));
    expect(reminderAt(request(4, 30))).toBe(Date.parse(at('2030-01-01T00:00:00.000Z', 3.5)));
  });

  it('says how long is left', () => {
    expect(timeLeft('2030-01-01T00:10:00.000Z', Date.parse('2030-01-01T00:07:30.000Z'))).toBe('2m 30s');
    expect(timeLeft('2030-01-01T02:00:00.000Z', Date.parse('2030-01-01T00:30:00.000Z'))).toBe('1h 30m');
    expect(timeLeft('2030-01-01T00:00:00.000Z', Date.parse('2030-01-01T00:01:00.000Z'))).toBe('0s');
  });
});

describe('approval.remind_before in the policy', () => {
  const policy = compileYaml(POLICY);
  const evaluate = (argv: string[], client = clientDecision('allow')) => {
    const e = evaluateRequest(policy, { command: createBody(argv).command, env: {}, requester: 'agent', client });
    if (e.kind !== 'approve') throw new Error(`expected approve, got ${e.kind}`);
    return e.requirement;
  };

  it('reaches the requirement: a duration, false as 0, absent as the default', () => {
    expect(evaluate(['early']).remind_before_seconds).toBe(1800);
    expect(evaluate(['quiet']).remind_before_seconds).toBe(0);
    expect('remind_before_seconds' in evaluate(['deploy'])).toBe(false);
  });

  it('several rules: the earliest reminder; off only when every rule turns it off', () => {
    const p = compileYaml(`version: 1
rules:
  - { id: a, decision: approve, program: x, approval: { remind_before: 2m } }
  - { id: b, decision: approve, program: x, args: [big], approval: { remind_before: 7m } }
  - { id: c, decision: approve, program: x, args: [quiet], approval: { remind_before: false } }
  - { id: d, decision: approve, program: y, approval: { remind_before: 0 } }
  - { id: e, decision: approve, program: y, args: [off], approval: { remind_before: false } }
`);
    const lead = (argv: string[]) => {
      const e = evaluateRequest(p, { command: createBody(argv).command, env: {}, requester: 'agent', client: clientDecision('allow') });
      return e.kind === 'approve' ? e.requirement.remind_before_seconds : 'not approve';
    };
    expect(lead(['x', 'big'])).toBe(420);
    expect(lead(['x', 'quiet'])).toBe(120);
    expect(lead(['y', 'off'])).toBe(0);
  });

  it("a client's remind_before is ignored: when to remind is the server's choice", () => {
    const client = clientDecision('approve', { requirement: { from: [], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false, remind_before_seconds: 0 } });
    expect('remind_before_seconds' in evaluate(['deploy'], client)).toBe(false);
  });

  it('rejects a bad duration', () => {
    expect(() => compileYaml(POLICY.replace('remind_before: 30m', 'remind_before: soon'))).toThrow(/remind_before/);
  });
});

describe('reminders through Slack', () => {
  let dir: TempDir;
  let slack: FakeSlack;
  let gate: Gate | undefined;
  let clock: TestClock;

  beforeEach(async () => {
    dir = tempDir('gate-remind-');
    slack = await fakeSlack().start();
    clock = new TestClock();
  });
  afterEach(async () => {
    await gate?.close();
    gate = undefined;
    await slack.close();
    dir.cleanup();
  });

  const main = (id: string): StoredMessage => {
    const [message, ...more] = slack.messagesFor(id).filter((m) => m.thread_ts === undefined);
    expect(more).toHaveLength(0);
    return message!;
  };
  const reminders = (id: string): StoredMessage[] => slack.repliesTo(main(id)).filter((m) => m.text.includes('Reminder'));
  const eventTypes = (id: string): string[] => {
    const requester = gate!.server.service.authenticate(`Bearer ${gate!.tokens.claude}`);
    return gate!.server.service.events(requester, id, 0).replay.map((e) => e.type);
  };
  const passTime = async (minutes: number): Promise<void> => {
    clock.advance(minutes * 60);
    gate!.server.service.sweep();
    await gate!.idle();
  };

  it('posts one thread reply at the right time, mentioning nobody, and updates the message', async () => {
    gate = await startGate(dir.path, slack, { policy: POLICY, clock });
    const r = await gate.create(['deploy', 'web']);
    await gate.idle();
    const editsBefore = main(r.id).edits;

    await passTime(7.9); // 10m lifetime: the default reminder is 2m before expiry, at 8m
    expect(reminders(r.id)).toHaveLength(0);

    await passTime(0.1);
    const [reminder, ...more] = reminders(r.id);
    expect(more).toHaveLength(0);
    expect(reminder!.text).toContain(r.id);
    expect(reminder!.text).toContain('expires in 2m');
    expect(reminder!.text).toContain('0 of 1 approval from sre');
    expect(reminder!.text).not.toMatch(/<@|<!here|<!channel/);
    expect(main(r.id).edits).toBeGreaterThan(editsBefore);
    expect(eventTypes(r.id)).toEqual(['created', 'reminded']);

    // Another sweep, later: still one.
    await passTime(1);
    expect(reminders(r.id)).toHaveLength(1);
  });

  it('sends none once the request is decided, and none when the rule turns reminders off', async () => {
    gate = await startGate(dir.path, slack, { policy: POLICY, clock });
    const decided = await gate.create(['deploy', 'api']);
    const quiet = await gate.create(['quiet', 'thing']);
    expect((await gate.act(decided.id, 'approve', 'alice')).body.status).toBe('approved');
    await passTime(9);
    expect(reminders(decided.id)).toHaveLength(0);
    expect(reminders(quiet.id)).toHaveLength(0);
    expect(slack.messagesFor(quiet.id).filter((m) => m.thread_ts !== undefined)).toHaveLength(0);
  });

  it('is never sent twice for the same request and channel, across a restart', async () => {
    gate = await startGate(dir.path, slack, { policy: POLICY, clock });
    const r = await gate.create(['deploy', 'db']);
    await passTime(8.5);
    expect(reminders(r.id)).toHaveLength(1);
    const tokens = gate.tokens;
    await gate.close();

    gate = await startGate(dir.path, slack, { policy: POLICY, clock, tokens });
    await gate.idle();
    await passTime(0.5);
    expect(reminders(r.id)).toHaveLength(1);
    expect(eventTypes(r.id).filter((t) => t === 'reminded')).toHaveLength(1);
  });

  it('a reminder due while the server was down is sent once after the restart', async () => {
    gate = await startGate(dir.path, slack, { policy: POLICY, clock });
    const r = await gate.create(['deploy', 'late']);
    await gate.idle();
    const tokens = gate.tokens;
    await gate.close();
    clock.advance(9 * 60);
    gate = await startGate(dir.path, slack, { policy: POLICY, clock, tokens });
    await gate.idle();
    expect(reminders(r.id)).toHaveLength(1);
  });

  it("fires from the service's own timer (real clock)", async () => {
    gate = await startGate(dir.path, slack, { policy: POLICY });
    const r = await gate.create(['fast', 'now']);
    await until(() => slack.messagesFor(r.id).length === 1 && reminders(r.id).length === 1, 'the reminder', 5_000);
    await gate.idle();
    expect(reminders(r.id)).toHaveLength(1);
  });
});
