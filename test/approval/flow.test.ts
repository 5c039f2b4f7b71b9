import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandDigest } from '../../src/approval/digest.js';
import { ApprovalError } from '../../src/approval/errors.js';
import { obtainApproval, type ApprovalResult } from '../../src/approval/flow.js';
import { knownServersFile } from '../../src/approval/pin.js';
import { keyId } from '../../src/approval/receipt.js';
import { approvalInput, closedPort, useSetup } from './harness.js';

const setup = useSetup();

/** Asserts that the promise fails closed with this ApprovalError problem. */
async function failsWith(promise: Promise<unknown>, problem: ApprovalError['problem'], extra: Partial<ApprovalError> = {}): Promise<ApprovalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApprovalError);
  expect(error).toMatchObject({ problem, ...extra });
  return error as ApprovalError;
}

const claims = (s: { fake: { calls: { path: string }[] } }): number => s.fake.calls.filter((c) => c.path.endsWith('/claim')).length;

describe('obtainApproval against a fake approval service', () => {
  it('approved: the receipt is verified against the pinned key, then claimed; the outcome is reported', async () => {
    const s = await setup({ envNames: ['PGHOST', 'GATE_TOKEN'] });
    const input = approvalInput(['psql', '-c', 'delete from users'], { reason: 'cleanup', environment: 'prod', context: ['ticket=OPS-1'] });
    const pending = obtainApproval(input, s.env({ env: { GATE_SERVER: s.fake.url, GATE_TOKEN: 'tok-requester', PGHOST: 'db.prod', OTHER: 'x', GATE_ON_BEHALF_OF: 'dana' } }));
    const id = await s.fake.nextRequest();
    await s.view.waitFor('created');
    s.fake.approve(id, 'alice', 'ok');
    const result = await pending;
    expect(result.kind).toBe('approved');
    const approved = result as Extract<ApprovalResult, { kind: 'approved' }>;
    expect(approved.command).toEqual({ argv: ['psql', '-c', 'delete from users'], cwd: '/srv/app', host: 'test-host', program_path: '/usr/bin/psql' });
    expect(approved.receipt.request_id).toBe(id);
    expect(s.fake.request(id).status).toBe('executing');
    expect(s.view.types()).toEqual(['created', 'approval', 'approved', 'executing']);
    expect(s.view.closed).toBe(true);

    // What was sent: the server-requested env only (never the token), the context, the client decision.
    const body = s.fake.calls.find((c) => c.method === 'POST' && c.path === '/v1/requests')!.body as Record<string, any>;
    expect(body.context).toMatchObject({ os_user: 'tester', on_behalf_of: 'dana', reason: 'cleanup', environment: 'prod', custom: { ticket: 'OPS-1' }, env: { PGHOST: 'db.prod' } });
    expect(body.client_decision).toMatchObject({ decision: 'approve', rules: ['db-write'], requirement: { from: [{ group: 'dba', count: 1 }], expires_seconds: 60 } });
    expect(s.fake.calls.every((c) => c.path === '/v1/key' || c.headers.authorization === 'Bearer tok-requester')).toBe(true);

    // First use pinned the key, in a private file.
    const known = JSON.parse(readFileSync(knownServersFile(s.home), 'utf8'));
    expect(known.servers[s.fake.url].key_id).toBe(keyId(s.fake.publicKey));
    expect(statSync(knownServersFile(s.home)).mode & 0o777).toBe(0o600);
    expect(s.notices.join('\n')).toContain('first use');

    await approved.session.reportOutcome({ kind: 'exited', code: 3, durationMs: 12 });
    expect(s.fake.request(id).outcome).toEqual({ exit_code: 3, duration_ms: 12 });
  });

  it('denied: who and the reason, verbatim; nothing claimed', async () => {
    const s = await setup();
    const pending = obtainApproval(approvalInput(), s.env());
    const id = await s.fake.nextRequest();
    await s.view.waitFor('created');
    s.fake.deny(id, 'bob', 'not on a Friday.\nAsk again "Monday" — \u202etrust me');
    expect(await pending).toMatchObject({ kind: 'denied', by: 'bob', reason: 'not on a Friday.\nAsk again "Monday" — \u202etrust me', byPolicy: false });
    expect(claims(s)).toBe(0);
  });

  it('expired (the server says so), and cancelled (by the server)', async () => {
    const s = await setup();
    const first = obtainApproval(approvalInput(), s.env());
    s.fake.expire(await s.fake.nextRequest());
    expect((await first).kind).toBe('expired');
    const second = obtainApproval(approvalInput(), s.env());
    s.fake.cancel(await s.fake.nextRequest(5_000, 1));
    expect((await second).kind).toBe('cancelled');
    expect(claims(s)).toBe(0);
  });

  it('expired locally: the expiry passes without a word from the server', async () => {
    const s = await setup();
    const result = await obtainApproval(approvalInput(['quick']), s.env());
    expect(result.kind).toBe('expired');
    expect(s.view.types()).toEqual(['created', 'expired']);
  });

  it('the user cancels: POST cancel, result cancelled, nothing claimed', async () => {
    const s = await setup();
    const pending = obtainApproval(approvalInput(), s.env());
    const id = await s.fake.nextRequest();
    await s.view.waitFor('created');
    s.view.controls!.cancel();
    expect((await pending).kind).toBe('cancelled');
    expect(s.fake.request(id).status).toBe('cancelled');
    expect(s.fake.calls.some((c) => c.path === `/v1/requests/${id}/cancel`)).toBe(true);
  });

  it('a question reaches the view verbatim, and the answer goes back with POST reply', async () => {
    const s = await setup();
    const pending = obtainApproval(approvalInput(), s.env());
    const id = await s.fake.nextRequest();
    await s.view.waitFor('created');
    const qid = s.fake.ask(id, 'bob', 'Which table, exactly?');
    expect(await s.view.waitFor('question')).toMatchObject({ question: { id: qid, by: 'bob', question: 'Which table, exactly?' } });
    await s.view.controls!.answer(qid, 'users, rows older than 2019');
    expect(await s.view.waitFor('answer')).toMatchObject({ question: { answer: 'users, rows older than 2019' } });
    s.fake.approve(id, 'bob');
    expect((await pending).kind).toBe('approved');
  });

  it('reconnects with Last-Event-ID after the stream drops mid-way, and after a server restart (kill -9)', async () => {
    const s = await setup();
    const pending = obtainApproval(approvalInput(['dropdb', 'payments']), s.env());
    const id = await s.fake.nextRequest();
    await s.view.waitFor('created');
    await s.fake.until(() => s.fake.calls.some((c) => c.path.endsWith('/events')));
    s.fake.approve(id, 'alice');
    await s.view.waitFor('approval');
    s.fake.dropStreams();
    await s.view.waitFor('reconnecting');
    await s.view.waitFor('reconnected');
    const streams = s.fake.calls.filter((c) => c.path.endsWith('/events'));
    expect(streams[0]!.headers['last-event-id']).toBeUndefined();
    expect(streams.at(-1)!.headers['last-event-id']).toBe('2');

    await s.fake.restart(300);
    s.fake.approve(id, 'bob');
    const result = await pending;
    expect(result.kind).toBe('approved');
    expect(s.view.types().filter((t) => t === 'approval')).toHaveLength(2); // nothing reported twice
  });

  it('a stream that goes silent past the stall limit counts as dropped', async () => {
    const s = await setup();
    const pending = obtainApproval(approvalInput(), s.env());
    const id = await s.fake.nextRequest();
    await s.view.waitFor('reconnecting', 4_000);
    s.fake.approve(id);
    expect((await pending).kind).toBe('approved');
  });

  it('retries 503 then succeeds; honours 429 Retry-After; never retries other 4xx', async () => {
    const s = await setup();
    s.fake.fail('POST', '/v1/requests', { status: 503 }, 2);
    s.fake.fail('GET', '/v1/policy/env', { status: 429, headers: { 'retry-after': '1' } }, 1);
    const started = Date.now();
    const pending = obtainApproval(approvalInput(), s.env());
    s.fake.approve(await s.fake.nextRequest());
    expect((await pending).kind).toBe('approved');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.fake.calls.filter((c) => c.method === 'POST' && c.path === '/v1/requests')).toHaveLength(3);

    s.fake.fail('POST', '/v1/requests', { status: 400, body: { error: { code: 'bad_request', message: 'argv too long' } } }, 5);
    await failsWith(obtainApproval(approvalInput(), s.env()), 'http', { status: 400, serverCode: 'bad_request' });
    expect(s.fake.calls.filter((c) => c.method === 'POST' && c.path === '/v1/requests')).toHaveLength(4);
  });

  it('fails closed when the server is unreachable', async () => {
    const s = await setup();
    const port = await closedPort();
    const error = await failsWith(obtainApproval(approvalInput(), s.env({ env: { GATE_SERVER: `http://127.0.0.1:${port}`, GATE_TOKEN: 't' } })), 'unreachable');
    expect(error.message).toContain('connection refused');
  });

  it('fails closed when a reply hangs past its deadline', async () => {
    const s = await setup();
    s.fake.fail('POST', '/v1/requests', 'hang', 10);
    await failsWith(obtainApproval(approvalInput(), s.env()), 'timeout');
  });

  it('fails closed on a malformed JSON reply (and on a reply of the wrong shape)', async () => {
    const s = await setup();
    s.fake.fail('POST', '/v1/requests', 'malformed');
    await failsWith(obtainApproval(approvalInput(), s.env()), 'malformed');
    s.fake.fail('GET', '/v1/policy/env', { status: 200, body: { names: ['OK', 'not a name; rm -rf'] } });
    await failsWith(obtainApproval(approvalInput(), s.env()), 'malformed');
    expect(s.fake.requests.size).toBe(0);
  });

  describe('receipts that must not be trusted', () => {
    const cases: [string, (s: Awaited<ReturnType<typeof setup>>) => void, string][] = [
      ['for another command (digest mismatch)', (s) => {
        s.fake.tamperReceipt = (p) => ({ ...p, command_digest: commandDigest({ argv: ['rm', '-rf', '/'], cwd: '/', host: 'test-host', program_path: '/bin/rm' }, p.requester) });
      }, 'digest_mismatch'],
      ['for another request id', (s) => {
        s.fake.tamperReceipt = (p) => ({ ...p, request_id: 'req_other' });
      }, 'wrong_request'],
      ['with a bad signature', (s) => {
        s.fake.signingKey = generateKeyPairSync('ed25519').privateKey;
      }, 'bad_signature'],
      ['that expired', (s) => {
        s.fake.tamperReceipt = (p) => ({ ...p, decided_at: new Date(Date.now() - 7_200_000).toISOString(), not_after: new Date(Date.now() - 3_600_000).toISOString() });
      }, 'expired'],
    ];
    it.each(cases)('refuses a receipt %s and claims nothing', async (_name, tamper, receiptProblem) => {
      const s = await setup();
      tamper(s);
      const pending = obtainApproval(approvalInput(), s.env());
      s.fake.approve(await s.fake.nextRequest());
      await failsWith(pending, 'receipt', { receiptProblem: receiptProblem as ApprovalError['receiptProblem'] });
      expect(claims(s)).toBe(0);
      expect(s.view.types().at(-1)).toBe('error');
    });
  });

  it('refuses a server whose key is not the pinned one, before creating anything', async () => {
    const s = await setup();
    const other = generateKeyPairSync('ed25519').publicKey;
    const otherB64 = other.export({ format: 'der', type: 'spki' }).toString('base64');
    writeFileSync(knownServersFile(s.home), JSON.stringify({ version: 1, servers: { [s.fake.url]: { public_key: otherB64, key_id: keyId(other), pinned_at: '2026-01-01T00:00:00.000Z' } } }));
    const error = await failsWith(obtainApproval(approvalInput(), s.env()), 'pin_mismatch');
    expect(error.hint).toContain('gate config set serverKey');
    expect(error.hint).toContain('known-servers.json');
    // The configured serverKey wins over the file, and must match too.
    await failsWith(obtainApproval({ ...approvalInput(), config: { serverKey: otherB64 } }, s.env()), 'pin_mismatch');
    expect(s.fake.requests.size).toBe(0);
    const ok = obtainApproval({ ...approvalInput(), config: { serverKey: s.fake.publicKeyBase64 } }, s.env());
    s.fake.approve(await s.fake.nextRequest());
    expect((await ok).kind).toBe('approved');
  });

  it('fails closed when the claim is refused', async () => {
    const s = await setup();
    s.fake.refuseClaim = 'already_claimed';
    const pending = obtainApproval(approvalInput(), s.env());
    s.fake.approve(await s.fake.nextRequest());
    await failsWith(pending, 'claim_refused', { serverCode: 'already_claimed' });
  });

  it('no server or no token: fails closed saying how to configure it, without any network', async () => {
    const s = await setup();
    const none = await failsWith(obtainApproval(approvalInput(), s.env({ env: {} })), 'not_configured');
    expect(none.hint).toContain('gate config set serverUrl http://127.0.0.1:8787');
    expect(none.message).toContain('db-write');
    const noToken = await failsWith(obtainApproval(approvalInput(), s.env({ env: { GATE_SERVER: s.fake.url } })), 'not_configured');
    expect(noToken.hint).toContain('gate config set token');
    expect(s.fake.calls).toHaveLength(0);
  });

  it('a required reason: prompted for on a terminal, an error otherwise (exit 125 path)', async () => {
    const s = await setup();
    await failsWith(obtainApproval(approvalInput(['why']), s.env()), 'reason_required');
    expect(s.fake.requests.size).toBe(0);
    const prompted = obtainApproval(approvalInput(['why']), s.env({ interactive: true, promptReason: async () => 'because' }));
    const id = await s.fake.nextRequest();
    expect(s.fake.request(id).context.reason).toBe('because');
    s.fake.approve(id);
    expect((await prompted).kind).toBe('approved');
    expect((await obtainApproval(approvalInput(['why']), s.env({ interactive: true, promptReason: async () => null }))).kind).toBe('cancelled');
  });

  it('rejects bad --context pairs before contacting anyone', async () => {
    const s = await setup();
    await failsWith(obtainApproval(approvalInput(undefined, { context: ['novalue', 'a=1', 'a=2', 'bad key=x'] }), s.env()), 'bad_context');
    expect(s.fake.calls).toHaveLength(0);
  });
});
