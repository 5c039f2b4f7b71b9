import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTeamsWorkflow } from '../../../helpers/fake-teams-workflow.js';
import { FakeWebhookReceiver } from '../../../helpers/fake-webhook-receiver.js';
import { tempDir, type TempDir } from '../../helpers.js';
import { startNotifyServer, until, type NotifyServer } from './harness.js';

// Reminders through the real server: the service records a `reminded` event before expiry and
// the dispatcher hands it to each destination that can remind, once per request and target.

const SECRET = 'whsec-test-0123456789abcdef0123';
const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 4s, remind_before: 3s, notify: { teams: [ops], webhook: [pager] } }
`;

let dir: TempDir;
let teams: FakeTeamsWorkflow;
let receiver: FakeWebhookReceiver;
let gate: NotifyServer | undefined;

beforeEach(async () => {
  dir = tempDir('gate-remind-');
  teams = await new FakeTeamsWorkflow().start();
  receiver = await new FakeWebhookReceiver(SECRET).start();
});
afterEach(async () => {
  await gate?.close();
  await teams.close();
  await receiver.close();
  dir.cleanup();
});

describe('reminders in Teams and webhooks', () => {
  it('a pending request gets one reminder card and one gate.request.reminder before it expires', async () => {
    const ops = teams.addWorkflow();
    gate = await startNotifyServer(
      dir.path,
      { teams: { workflows: new Map([['ops', ops.url]]), defaults: [] }, webhooks: { endpoints: new Map([['pager', { url: receiver.url, secret: SECRET }]]), defaults: [] } },
      { policy: POLICY },
    );
    const r = await gate.create(['deploy', 'soon']);
    await until(() => teams.cardsMentioning(r.id).length === 2 && receiver.typesFor(r.id).includes('gate.request.reminder'), 'the reminders', 8_000);
    const reminder = teams.cardsMentioning(r.id)[1]!;
    expect(JSON.stringify(reminder.card)).toContain('Reminder: a privileged command still needs approval');
    await until(() => receiver.typesFor(r.id).includes('gate.request.expired'), 'the expiry', 8_000);
    await gate.idle();
    // The `reminded` event also moves the request's seq: an `updated` with the same state comes too.
    const types = receiver.typesFor(r.id);
    expect(types[0]).toBe('gate.request.created');
    expect(types.at(-1)).toBe('gate.request.expired');
    expect(types.filter((t) => t === 'gate.request.reminder')).toHaveLength(1);
    expect(types.filter((t) => t !== 'gate.request.updated')).toEqual(['gate.request.created', 'gate.request.reminder', 'gate.request.expired']);
    // The reminder, then the outcome follow-up: three cards in all.
    await until(() => teams.cardsMentioning(r.id).length === 3, 'the expiry card');
    expect(JSON.stringify(teams.cardsMentioning(r.id)[2]!.card)).toContain('Expired');
  });
});
