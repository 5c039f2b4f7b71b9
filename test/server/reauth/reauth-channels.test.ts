import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/server/errors.js';
import type { FakeSlack } from '../../helpers/fake-slack.js';
import { tempDir, TestClock, type TempDir } from '../helpers.js';
import { until } from '../notify/slack/harness.js';
import { CHANNELS, fakeSlack, startGate, type Gate } from '../reminders/harness.js';

// approval.reauth is enforced by the service for every channel: the API is fresh (a token with
// every call), the web counts from its session's sign-in, a Slack click cannot prove one.

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: prod-shell
    decision: approve
    program: prod-shell
    approval: { from: [{ group: sre }], expires: 30m, reauth: 5m, notify: { slack: [${CHANNELS.approvals}] } }
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 30m, notify: { slack: [${CHANNELS.approvals}] } }
`;

let dir: TempDir;
let slack: FakeSlack;
let gate: Gate;
let clock: TestClock;

beforeEach(async () => {
  dir = tempDir('gate-reauth-');
  slack = await fakeSlack().start();
  clock = new TestClock();
  gate = await startGate(dir.path, slack, { policy: POLICY, clock });
});
afterEach(async () => {
  await gate.close();
  await slack.close();
  dir.cleanup();
});

const alice = () => gate.server.service.authenticate(`Bearer ${gate.tokens.alice}`);
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
};

describe('re-authentication across channels', () => {
  it('the API counts as fresh: gate approve works on a high-risk rule', async () => {
    const r = await gate.create(['prod-shell']);
    const res = await gate.act(r.id, 'approve', 'alice');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('approved');
  });

  it('a Slack approval is refused with an ephemeral link to the web page; the request stays pending', async () => {
    const r = await gate.create(['prod-shell']);
    await gate.idle();
    await slack.click({ url: gate.interactionsUrl, user: 'U0ALICE', action: 'gate.approve', value: r.id });
    await until(() => slack.ephemerals.some((e) => e.user === 'U0ALICE'), 'the ephemeral reply');
    await gate.idle();
    const told = slack.ephemerals.filter((e) => e.user === 'U0ALICE').map((e) => e.text);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('fresh sign-in');
    expect(told[0]).toContain(`<${r.url}|`);
    const now = await gate.get(r.id);
    expect(now.status).toBe('pending');
    expect(now.approvals).toEqual([]);
  });

  it('a Slack approval of a rule without reauth still works', async () => {
    const r = await gate.create(['deploy', 'x']);
    await gate.idle();
    await slack.click({ url: gate.interactionsUrl, user: 'U0ALICE', action: 'gate.approve', value: r.id });
    await until(async () => (await gate.get(r.id)).status === 'approved', 'the approval');
  });

  it('the web channel: a sign-in inside the window counts, an older one is `reauth_required` (401)', async () => {
    const r = await gate.create(['prod-shell']);
    const now = clock.now().getTime();
    let status: number | undefined;
    try {
      gate.server.service.act(alice(), r.id, { type: 'approve' }, 'web', now - 301_000);
    } catch (error) {
      status = (error as ApiError).status;
      expect((error as ApiError).code).toBe('reauth_required');
    }
    expect(status).toBe(401);
    expect(code(() => gate.server.service.act(alice(), r.id, { type: 'approve' }, 'web', now - 300_000))).toBeUndefined();
    expect((await gate.get(r.id)).status).toBe('approved');
  });

  it('any other channel that passes no sign-in time cannot approve; denying needs no fresh sign-in', async () => {
    const r = await gate.create(['prod-shell']);
    expect(code(() => gate.server.service.act(alice(), r.id, { type: 'approve' }, 'slack'))).toBe('reauth_required');
    expect(code(() => gate.server.service.act(alice(), r.id, { type: 'deny', reason: 'no' }, 'slack'))).toBeUndefined();
    expect((await gate.get(r.id)).status).toBe('denied');
  });
});
