import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approval/protocol.js';
import { api, createToken, Processes, startServe, type Served } from '../helpers/approval-e2e.js';
import { tempDir, writeFile } from '../helpers/gate.js';
import { createBody, harness, openSse, type Harness } from '../server/helpers.js';
import { requireBuild } from './common.js';

// An approved request whose receipt was never claimed must not stay `approved` forever: once the
// receipt is past not_after it becomes `expired` (event `expired`, streams end), by the expiry
// timer (also re-armed after a restart) and lazily on the next read.

requireBuild();

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: dba }], expires: 10m }
`;

describe('an approved request whose receipt was never claimed (real gate serve, --receipt-ttl 1s)', () => {
  const processes = new Processes();
  let root: { path: string; cleanup: () => void };
  let home = '';
  let db = '';
  let policy = '';
  const tokens: Record<string, string> = {};
  let server: Served;

  beforeAll(async () => {
    root = tempDir('gate-receipt-expiry-');
    home = join(root.path, 'server');
    db = join(home, 'gate.db');
    policy = writeFile(join(root.path, 'policy.yaml'), POLICY);
    tokens.bot = await createToken(home, db, 'bot', 'agent');
    tokens.alice = await createToken(home, db, 'alice', 'human', ['dba']);
  });
  afterEach(() => processes.killAll());
  afterAll(() => {
    processes.killAll();
    root?.cleanup();
  });

  const approvedRequest = async (): Promise<ApprovalRequest> => {
    const created = await api(server.url, 'POST', '/v1/requests', tokens.bot!, createBody(['deploy', 'prod']));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const approved = await api(server.url, 'POST', `/v1/requests/${created.body.id}/approve`, tokens.alice!, {});
    expect(approved.body.status).toBe('approved');
    return approved.body;
  };

  it('expires by timer with an `expired` event that ends the stream; the receipt can no longer be claimed', async () => {
    server = await startServe({ home, db, policy, args: ['--receipt-ttl', '1s'] }, processes);
    const created = await api(server.url, 'POST', '/v1/requests', tokens.bot!, createBody(['deploy', 'prod']));
    const id = created.body.id;
    const sse = openSse(server.url, `/v1/requests/${id}/events`, tokens.bot!);
    await sse.waitFor(1);
    const approved = await api(server.url, 'POST', `/v1/requests/${id}/approve`, tokens.alice!, {});
    expect(approved.body.status).toBe('approved');
    const notAfter = Date.parse(approved.body.receipt!.payload.not_after);

    // No read in between: only the timer can end this stream. (Events of one transition share its snapshot.)
    await sse.ended;
    expect(Date.now()).toBeGreaterThan(notAfter);
    expect(sse.events.map((e) => `${e.seq}:${e.type}:${e.request.status}`)).toEqual(['1:created:pending', '2:approval:approved', '3:approved:approved', '4:expired:expired']);
    const last = sse.events.at(-1)!.request;
    expect(last.receipt?.payload.receipt_id).toBe(approved.body.receipt!.payload.receipt_id);
    expect(last.progress).toMatch(/^expired: approved by alice, but not used before /);
    expect(last.decided_at).toBe(approved.body.decided_at);

    const now = await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot!);
    expect(now.body.status).toBe('expired');
    const claim = await api(server.url, 'POST', `/v1/requests/${id}/claim`, tokens.bot!, { receipt_id: approved.body.receipt!.payload.receipt_id });
    expect([claim.status, claim.body.error?.code]).toEqual([410, 'receipt_expired']);
    const cancel = await api(server.url, 'POST', `/v1/requests/${id}/cancel`, tokens.bot!, {});
    expect([cancel.status, cancel.body.error?.code]).toEqual([409, 'already_decided']);
    // A late subscriber gets the story and the end at once.
    const late = openSse(server.url, `/v1/requests/${id}/events`, tokens.bot!, 3);
    await late.ended;
    expect(late.events.map((e) => e.type)).toEqual(['expired']);
  });

  it('after kill -9 and a restart, the timer is re-armed for receipts too', async () => {
    server = await startServe({ home, db, policy, args: ['--receipt-ttl', '2s'] }, processes);
    const approved = await approvedRequest();
    server.child.kill('SIGKILL');
    await server.exited;
    server = await startServe({ home, db, policy, args: ['--receipt-ttl', '2s'] }, processes);
    const sse = openSse(server.url, `/v1/requests/${approved.id}/events`, tokens.bot!, 3);
    await sse.waitFor(1, 10_000);
    await sse.ended;
    expect(sse.events.map((e) => `${e.seq}:${e.type}`)).toEqual(['4:expired']);
    expect(Date.now()).toBeGreaterThan(Date.parse(approved.receipt!.payload.not_after));
  });
});

describe('an unclaimed receipt expires lazily on the next read (in-process service, test clock)', () => {
  let dir: { path: string; cleanup: () => void };
  let h: Harness;

  beforeAll(async () => {
    dir = tempDir('gate-receipt-lazy-');
    h = await harness(dir.path, { receiptTtlSeconds: 60 });
  });
  afterAll(() => {
    h?.close();
    dir?.cleanup();
  });

  const approved = async (): Promise<ApprovalRequest> => {
    const created = await h.call('POST', '/v1/requests', h.tokens.bot, createBody(['kubectl', 'delete', 'ns', 'x']));
    const done = await h.call('POST', `/v1/requests/${created.body.id}/approve`, h.tokens.bob, {});
    expect(done.body.status).toBe('approved');
    return done.body;
  };
  const types = (id: string): string[] => h.store.eventsAfter(id, 0).map((e) => e.type);

  it('is still claimable at not_after, and expired 1 ms later on GET, list and claim', async () => {
    const onTime = await approved();
    h.clock.advance(60);
    const claimed = await h.call('POST', `/v1/requests/${onTime.id}/claim`, h.tokens.bot, { receipt_id: onTime.receipt!.payload.receipt_id });
    expect(claimed.body.status).toBe('executing');

    const byGet = await approved();
    const byList = await approved();
    const byClaim = await approved();
    h.clock.ms += 60_000 + 1;
    expect((await h.call('GET', `/v1/requests/${byGet.id}`, h.tokens.bot)).body.status).toBe('expired');
    expect(types(byGet.id)).toEqual(['created', 'approval', 'approved', 'expired']);

    const claim = await h.call('POST', `/v1/requests/${byClaim.id}/claim`, h.tokens.bot, { receipt_id: byClaim.receipt!.payload.receipt_id });
    expect([claim.status, claim.body.error?.code]).toEqual([410, 'receipt_expired']);
    expect(types(byClaim.id)).toEqual(['created', 'approval', 'approved', 'expired']);

    const list = await h.call<{ requests: ApprovalRequest[] }>('GET', '/v1/requests?status=approved', h.tokens.bot);
    expect(list.body.requests.map((r) => r.id)).not.toContain(byList.id);
    expect(h.store.getRequest(byList.id)?.status).toBe('expired');
    // The one claimed in time is unaffected.
    expect(h.store.getRequest(onTime.id)?.status).toBe('executing');
  });
});
