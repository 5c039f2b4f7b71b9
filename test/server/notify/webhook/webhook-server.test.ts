import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookSettings } from '../../../../src/server/notify/index.js';
import { FakeWebhookReceiver, verifyDelivery } from '../../../helpers/fake-webhook-receiver.js';
import { tempDir, type TempDir } from '../../helpers.js';
import { startNotifyServer, until, type NotifyServer } from '../teams/harness.js';

// The real approval server sending signed webhooks to a receiver on 127.0.0.1 that verifies each
// one exactly as docs/webhooks.md tells receivers to.

const SECRET = 'whsec-test-0123456789abcdef0123';
const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: k8s-delete
    decision: approve
    program: kubectl
    subcommand: [delete]
    approval: { from: [{ group: sre }], expires: 10m, notify: { webhook: [pager] } }
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 10m }
  - id: teams-only
    decision: approve
    program: teams-only
    approval: { notify: { teams: [ops] } }
`;

let dir: TempDir;
let receiver: FakeWebhookReceiver;
let gate: NotifyServer;
const settings = (): WebhookSettings => ({ endpoints: new Map([['pager', { url: receiver.url, secret: SECRET }]]), defaults: ['pager'] });

beforeAll(async () => {
  dir = tempDir('gate-webhook-');
  receiver = await new FakeWebhookReceiver(SECRET).start();
  gate = await startNotifyServer(dir.path, { webhooks: settings() }, { policy: POLICY });
});
afterEach(async () => {
  await gate.idle();
});
afterAll(async () => {
  await gate?.close();
  await receiver?.close();
  dir?.cleanup();
});

const deliveriesOf = (id: string) => receiver.received.filter((d) => d.body.request.id === id);

describe('signed webhooks', () => {
  it('sends created, updated and the outcome, each signed and verified by the receiver', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'payments'], 'claude', { reason: 'INC-9' });
    await gate.idle();
    expect(receiver.typesFor(r.id)).toEqual(['gate.request.created']);
    const created = deliveriesOf(r.id)[0]!;
    expect(created.body).toMatchObject({ type: 'gate.request.created', id: created.delivery, request: { id: r.id, status: 'pending', url: r.url, context: { reason: 'INC-9' } } });
    expect(await gate.act(r.id, 'ask', 'bob', { question: 'which cluster?' })).toBe(200);
    await until(() => receiver.typesFor(r.id).length === 2, 'the question');
    expect(await gate.act(r.id, 'approve', 'alice')).toBe(200);
    await until(() => receiver.typesFor(r.id).length === 3, 'the approval');
    expect(await gate.act(r.id, 'cancel', 'claude')).toBe(200);
    await until(() => receiver.typesFor(r.id).length === 4, 'the cancellation');
    await gate.idle();
    expect(receiver.typesFor(r.id)).toEqual(['gate.request.created', 'gate.request.updated', 'gate.request.approved', 'gate.request.cancelled']);
    expect(deliveriesOf(r.id)[1]!.body.request.questions).toEqual([expect.objectContaining({ by: 'bob', question: 'which cluster?' })]);
    expect(deliveriesOf(r.id).every((d) => !d.duplicate)).toBe(true);
    expect(deliveriesOf(r.id)[2]!.body.request).not.toHaveProperty('receipt');
  });

  it('a tampered body, timestamp or a wrong secret fails verification', async () => {
    const r = await gate.create(['deploy', 'tamper']);
    await gate.idle();
    const d = deliveriesOf(r.id)[0]!;
    const headers = { signature: d.signature, timestamp: d.timestamp };
    expect(verifyDelivery(SECRET, headers, d.raw)).toBe(true);
    expect(verifyDelivery(SECRET, headers, d.raw.replace('"pending"', '"approved"'))).toBe(false);
    expect(verifyDelivery(SECRET, { ...headers, timestamp: String(Number(d.timestamp) + 1) }, d.raw)).toBe(false);
    expect(verifyDelivery(`${SECRET}-other`, headers, d.raw)).toBe(false);
    // A receiver with another secret refuses it (401), which gate treats as permanent.
    const wrong = await new FakeWebhookReceiver('another-secret-0123456789').start();
    try {
      const res = await fetch(wrong.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gate-signature': d.signature, 'x-gate-timestamp': d.timestamp, 'x-gate-delivery': d.delivery }, body: d.raw });
      expect(res.status).toBe(401);
    } finally {
      await wrong.close();
    }
  });

  it('uses the defaults for a rule that names no destination, and none for a rule that names only Teams', async () => {
    const deploy = await gate.create(['deploy', 'prod']);
    const teamsOnly = await gate.create(['teams-only']);
    await gate.idle();
    expect(receiver.typesFor(deploy.id)).toEqual(['gate.request.created']);
    expect(deliveriesOf(teamsOnly.id)).toHaveLength(0);
  });
});

describe('webhook retries', () => {
  it('429, 5xx and lost replies are retried with the same X-Gate-Delivery; the receiver sees one delivery', async () => {
    receiver.fail({ status: 503 }, { status: 429, retryAfterSeconds: 0 }, { status: 'lost-reply' });
    const r = await gate.create(['deploy', 'retry']);
    await until(() => receiver.attempts.filter((a) => a.status === 200).length > 0 && deliveriesOf(r.id).length === 2, 'the retried delivery', 15_000);
    await gate.idle();
    const ids = receiver.attempts.slice(-4).map((a) => a.delivery);
    expect(ids.map((_, i) => receiver.attempts.slice(-4)[i]!.status)).toEqual([503, 429, 0, 200]);
    expect(new Set(ids).size).toBe(1);
    expect(deliveriesOf(r.id).map((d) => d.duplicate)).toEqual([false, true]);
    expect(receiver.typesFor(r.id)).toEqual(['gate.request.created']);
    // Each attempt is signed afresh, but the body is the same delivery.
    expect(deliveriesOf(r.id)[0]!.raw).toBe(deliveriesOf(r.id)[1]!.raw);
  });

  it('another 4xx is permanent: not retried, logged by name without the secret', async () => {
    receiver.fail({ status: 410 });
    const before = receiver.attempts.length;
    const r = await gate.create(['deploy', 'gone']);
    await gate.idle();
    expect(receiver.attempts.length - before).toBe(1);
    expect(gate.logs).toContain(`notify: webhook pager for ${r.id}: not posted: webhook "pager": HTTP 410`);
    for (const line of gate.logs) expect(line).not.toContain(SECRET);
  });

  it('a delivery that failed while the receiver was down is sent after a restart, with the same delivery id', async () => {
    const port = Number(new URL(receiver.url).port);
    await receiver.close();
    const r = await gate.create(['deploy', 'outage']);
    await until(() => gate.logs.some((l) => l.includes(`webhook pager for ${r.id}: post failed (webhook "pager": ECONNREFUSED)`)), 'a failed attempt');
    const tokens = gate.tokens;
    await gate.close();
    await receiver.start(port);
    gate = await startNotifyServer(dir.path, { webhooks: settings() }, { policy: POLICY, tokens });
    await until(() => deliveriesOf(r.id).length === 1, 'the delivery after the restart');
    await gate.idle();
    expect(receiver.typesFor(r.id)).toEqual(['gate.request.created']);
  });
});
