import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeSlack, Posted, StoredMessage } from '../../../helpers/fake-slack.js';
import { tempDir, type TempDir } from '../../helpers.js';
import { fakeSlack, SECRET, startSlackServer, TOKEN, until, type SlackServer } from './harness.js';

// The real approval server (startServer, real SQLite, real HTTP) with Slack notifications, against
// a fake Slack on 127.0.0.1. Clicks and modal submissions are signed like Slack's and POSTed to the
// server's interactivity endpoint.

let dir: TempDir;
let slack: FakeSlack;
let gate: SlackServer;

beforeAll(async () => {
  dir = tempDir('gate-slack-');
  slack = await fakeSlack().start();
  gate = await startSlackServer(dir.path, slack);
});
afterEach(async () => {
  await gate.idle();
});
afterAll(async () => {
  await gate?.close();
  await slack?.close();
  dir?.cleanup();
});

const click = (user: string, action: string, id: string, message?: StoredMessage): Promise<Posted> =>
  slack.click({ url: gate.interactionsUrl, user, action, value: id, ...(message !== undefined ? { message } : {}) });

/** Clicks and checks Slack got its acknowledgement in time: HTTP 200, empty, well within 3 s. */
async function acked(posted: Promise<Posted>): Promise<Posted> {
  const res = await posted;
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  return res;
}

const ephemeralsTo = (user: string): string[] => slack.ephemerals.filter((e) => e.user === user).map((e) => e.text);

describe('posting requests to Slack', () => {
  it('posts exactly one message per channel the rule names, with the context, and nothing to others', async () => {
    const r = await gate.create(['psql', '-c', 'drop table users'], 'claude', { reason: 'INC-7 cleanup', on_behalf_of: 'carol' });
    await gate.idle();
    const messages = slack.messagesFor(r.id);
    expect(messages.map((m) => m.channel).sort()).toEqual(['C0APPROVALS', 'C0DBA']);
    expect(slack.callsOf('chat.postMessage').filter((c) => JSON.stringify(c.args).includes(r.id))).toHaveLength(2);
    const text = JSON.stringify(messages[0]!.blocks);
    for (const part of ["```psql -c 'drop table users'```", '*Agent*\\nclaude (agent)', '*On behalf of*\\ncarol', 'INC-7 cleanup', '`pg-prod`', '0 of 2 approvals from dba']) {
      expect(text).toContain(part);
    }
    // Bot token in the header only; JSON with charset (else Slack warns missing_charset).
    const call = slack.callsOf('chat.postMessage').at(-1)!;
    expect(call.contentType).toBe('application/json; charset=utf-8');
    expect(call.args.token).toBeUndefined();
    expect(call.reply?.warning).toBeUndefined();
  });

  it('uses the configured default channels for a rule that names none, and none for a rule that names only other kinds', async () => {
    const deploy = await gate.create(['deploy', 'prod']);
    const teams = await gate.create(['teams-only']);
    await gate.idle();
    expect(slack.messagesFor(deploy.id).map((m) => m.channel)).toEqual(['C0DEFAULT']);
    expect(slack.messagesFor(teams.id)).toEqual([]);
  });

  it('gives up on a channel that does not exist, with a log line and no secret in any log', async () => {
    const r = await gate.create(['nowhere']);
    await gate.idle();
    expect(slack.messagesFor(r.id)).toEqual([]);
    expect(slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0NOPE')).toHaveLength(1);
    expect(gate.logs.some((l) => l.includes(`slack C0NOPE for ${r.id}: not posted: chat.postMessage: channel_not_found`))).toBe(true);
    expect(gate.logs.join('\n')).not.toContain(TOKEN);
    expect(gate.logs.join('\n')).not.toContain(SECRET);
  });
});

describe('approving from Slack', () => {
  it('a mapped human approves with a signed click: approved, the message is updated, the requester told in the thread', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'payments']);
    await gate.idle();
    const [message] = slack.messagesFor(r.id);
    const res = await acked(click('U0ALICE', 'gate.approve', r.id, message));
    expect(res.text).toBe('');
    await gate.idle();
    const after = await gate.get(r.id);
    expect(after.status).toBe('approved');
    expect(after.approvals).toMatchObject([{ approver: 'alice', channel: 'slack' }]);
    // Edited in place: same channel and ts, now with the outcome and without buttons.
    expect(message!.edits).toBeGreaterThanOrEqual(1);
    const shown = JSON.stringify(message!.blocks);
    expect(shown).toContain('*Approved* by alice');
    expect(shown).not.toContain('gate.approve');
    expect(slack.callsOf('chat.update').at(-1)!.args).toMatchObject({ channel: 'C0APPROVALS', ts: message!.ts });
    const replies = slack.repliesTo(message!);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^<@U0CLAUDE> :white_check_mark: \*Approved\* by alice/);
  });

  it('counts Slack approvals toward the quorum, one per person', async () => {
    const r = await gate.create(['psql', '-c', 'delete from t']);
    await gate.idle();
    const message = slack.messagesFor(r.id).find((m) => m.channel === 'C0DBA')!;
    await acked(click('U0BOB', 'gate.approve', r.id, message));
    await gate.idle();
    expect((await gate.get(r.id)).status).toBe('pending');
    expect(JSON.stringify(message.blocks)).toContain('1 of 2 approvals from dba');
    expect(JSON.stringify(message.blocks)).toContain('*Approvals so far*\\n• bob via slack');
    // A second click by the same person is refused, and told so.
    await acked(click('U0BOB', 'gate.approve', r.id, message));
    await gate.idle();
    expect(ephemeralsTo('U0BOB').at(-1)).toContain('already approved');
    await acked(click('U0CAROL', 'gate.approve', r.id, message));
    await gate.idle();
    expect((await gate.get(r.id)).status).toBe('approved');
    // Both channels' messages show the outcome.
    for (const m of slack.messagesFor(r.id)) expect(JSON.stringify(m.blocks)).toContain('*Approved* by bob, carol');
  });

  it('a mapped Slack user who is the requester cannot approve (nor deny)', async () => {
    const r = await gate.create(['kubectl', 'delete', 'pod', 'x'], 'dev');
    await gate.idle();
    await acked(click('U0DEV', 'gate.approve', r.id));
    await acked(click('U0DEV', 'gate.deny', r.id));
    await gate.idle();
    const after = await gate.get(r.id, 'dev');
    expect(after.status).toBe('pending');
    expect(after.approvals).toEqual([]);
    expect(ephemeralsTo('U0DEV').slice(-2)).toEqual([expect.stringContaining('asked for this command and cannot decide it'), expect.stringContaining('asked for this command')]);
    // No dialog was opened for the refused deny.
    expect(slack.views.filter((v) => v.user === 'U0DEV')).toEqual([]);
  });

  it('the human an agent acts for cannot approve it unless the rule allows it', async () => {
    const r = await gate.create(['kubectl', 'delete', 'svc', 'x'], 'claude', { on_behalf_of: 'alice' });
    await gate.idle();
    await acked(click('U0ALICE', 'gate.approve', r.id));
    await gate.idle();
    expect((await gate.get(r.id)).status).toBe('pending');
    expect(ephemeralsTo('U0ALICE').at(-1)).toContain('claude acts on behalf of alice');
  });

  it('refuses unmapped users, agents, other groups, guests and other workspaces, each told why', async () => {
    const r = await gate.create(['kubectl', 'delete', 'deploy', 'x']);
    await gate.idle();
    await acked(click('U0STRANGER', 'gate.approve', r.id));
    await acked(click('U0SVC', 'gate.approve', r.id));
    await acked(click('U0BOB', 'gate.approve', r.id));
    await acked(click('U0GUEST', 'gate.approve', r.id));
    await acked(slack.click({ url: gate.interactionsUrl, user: 'U0ELSEWHERE', team: 'T0OTHER', action: 'gate.approve', value: r.id }));
    await acked(click('U0NOBODY', 'gate.approve', r.id));
    await gate.idle();
    expect((await gate.get(r.id)).approvals).toEqual([]);
    expect(ephemeralsTo('U0STRANGER').at(-1)).toContain('not mapped to a gate approver');
    expect(ephemeralsTo('U0SVC').at(-1)).toContain('only humans approve');
    expect(ephemeralsTo('U0BOB').at(-1)).toContain('bob is not in group sre');
    expect(ephemeralsTo('U0GUEST').at(-1)).toContain('guest accounts cannot approve');
    expect(ephemeralsTo('U0ELSEWHERE').at(-1)).toContain('workspace (T0OTHER) is not the one gate trusts');
    expect(ephemeralsTo('U0NOBODY').at(-1)).toContain('no active gate principal is named nobody@example.com');
  });

  it('maps a user by email (users.info) to the principal of that name', async () => {
    const r = await gate.create(['psql', '-c', 'update t set x=1']);
    await gate.idle();
    await acked(click('U0ERIN', 'gate.approve', r.id));
    await gate.idle();
    expect((await gate.get(r.id)).approvals).toMatchObject([{ approver: 'erin@example.com', channel: 'slack' }]);
    const info = slack.callsOf('users.info').at(-1)!;
    expect(info.contentType).toBe('application/x-www-form-urlencoded');
    expect(info.args).toEqual({ user: 'U0ERIN' });
  });
});

describe('denying and asking through modals', () => {
  it('deny opens a modal with the trigger; its reason denies the request and reaches the requester', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'billing']);
    await gate.idle();
    const [message] = slack.messagesFor(r.id);
    await acked(click('U0ALICE', 'gate.deny', r.id, message));
    await gate.idle();
    const opened = slack.views.at(-1)!;
    expect(opened.user).toBe('U0ALICE');
    expect(opened.view).toMatchObject({ callback_id: 'gate.deny', title: { text: 'Deny request' } });
    // Nothing is decided by opening the dialog.
    expect((await gate.get(r.id)).status).toBe('pending');
    const res = await slack.submit({ url: gate.interactionsUrl, user: 'U0ALICE', text: 'not during the freeze' });
    expect(res).toMatchObject({ status: 200, text: '' });
    // Decided before answering, and still well within Slack's 3 s.
    expect(res.ms).toBeLessThan(3000);
    await gate.idle();
    const after = await gate.get(r.id);
    expect(after.status).toBe('denied');
    expect(after.denial).toMatchObject({ by: 'alice', reason: 'not during the freeze' });
    expect(JSON.stringify(message!.blocks)).toContain('*Denied* by alice');
    expect(slack.repliesTo(message!)[0]!.text).toContain('not during the freeze');
  });

  it('ask records the question and shows it on the message; an empty one keeps the modal open', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'search']);
    await gate.idle();
    const [message] = slack.messagesFor(r.id);
    await acked(click('U0ALICE', 'gate.ask', r.id, message));
    await gate.idle();
    const view = slack.views.at(-1)!;
    expect(view.view).toMatchObject({ callback_id: 'gate.ask' });
    const empty = await slack.submit({ url: gate.interactionsUrl, user: 'U0ALICE', text: '   ', view });
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.text)).toEqual({ response_action: 'errors', errors: { question: 'Write a question.' } });
    await slack.submit({ url: gate.interactionsUrl, user: 'U0ALICE', text: 'which ticket is this?', view });
    await gate.idle();
    const after = await gate.get(r.id);
    expect(after.status).toBe('pending');
    expect(after.questions).toMatchObject([{ by: 'alice', question: 'which ticket is this?' }]);
    expect(JSON.stringify(message!.blocks)).toContain('*alice* asked: which ticket is this?');
  });

  it('a submission the service refuses shows the reason in the modal (decided meanwhile)', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'old']);
    await gate.idle();
    await acked(click('U0ALICE', 'gate.deny', r.id));
    await gate.idle();
    const view = slack.views.at(-1)!;
    await acked(click('U0DEV', 'gate.approve', r.id));
    await gate.idle();
    expect((await gate.get(r.id)).status).toBe('approved');
    const res = await slack.submit({ url: gate.interactionsUrl, user: 'U0ALICE', text: 'too late', view });
    expect(JSON.parse(res.text)).toEqual({ response_action: 'errors', errors: { reason: expect.stringContaining('already approved') } });
    expect((await gate.get(r.id)).status).toBe('approved');
  });

  it('a trigger that cannot be used is reported to the clicker', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'x1']);
    await gate.idle();
    slack.fail('views.open', { kind: 'error', error: 'expired_trigger_id' });
    await acked(click('U0ALICE', 'gate.ask', r.id));
    await gate.idle();
    expect(ephemeralsTo('U0ALICE').at(-1)).toContain('Slack could not open the dialog (expired_trigger_id)');
  });
});

describe('the interactivity endpoint refuses what Slack did not send', () => {
  it('forged, stale, future, replayed, altered and unsigned requests get 401 and change nothing', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'target']);
    await gate.idle();
    const url = gate.interactionsUrl;
    const now = Math.floor(Date.now() / 1000);
    const forged = await slack.click({ url, user: 'U0ALICE', action: 'gate.approve', value: r.id, secret: 'not-the-secret' });
    const stale = await slack.click({ url, user: 'U0ALICE', action: 'gate.approve', value: r.id, timestamp: now - 301 });
    const future = await slack.click({ url, user: 'U0ALICE', action: 'gate.approve', value: r.id, timestamp: now + 301 });
    expect([forged.status, stale.status, future.status]).toEqual([401, 401, 401]);

    // A genuine request, captured and sent again: the first counts (a comment-free approve of
    // another request), its replay does not.
    const other = await gate.create(['kubectl', 'delete', 'ns', 'decoy']);
    await gate.idle();
    const genuine = await slack.click({ url, user: 'U0DEV', action: 'gate.ask', value: other.id });
    expect(genuine.status).toBe(200);
    const replay = await slack.send(url, genuine.sent.body, genuine.sent.headers);
    expect(replay.status).toBe(401);

    const signed = await slack.click({ url, user: 'U0ALICE', action: 'gate.open', value: r.id });
    const altered = await slack.send(url, signed.sent.body.replace('gate.open', 'gate.approve'), signed.sent.headers);
    expect(altered.status).toBe(401);
    const { ['x-slack-signature']: _sig, ...unsigned } = signed.sent.headers;
    expect((await slack.send(url, signed.sent.body, unsigned)).status).toBe(401);
    await gate.idle();
    expect((await gate.get(r.id)).approvals).toEqual([]);
    expect(gate.logs.filter((l) => l.startsWith('slack: refused an interaction')).length).toBeGreaterThanOrEqual(6);
  });

  it('a payload that is not Slack JSON is a 400, an unknown interaction type is acknowledged and ignored', async () => {
    const now = Math.floor(Date.now() / 1000);
    const send = (body: string) =>
      slack.send(gate.interactionsUrl, body, { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': slack.sign(body, now) });
    expect((await send('payload=%7Bnot-json')).status).toBe(400);
    expect((await send('nothing=here')).status).toBe(400);
    expect((await send(new URLSearchParams({ payload: JSON.stringify({ type: 'view_closed', user: { id: 'U0ALICE' } }) }).toString())).status).toBe(200);
  });
});

describe('Slack errors are retried without losing or duplicating the message', () => {
  it('429 with Retry-After: retried after the wait, posted once', async () => {
    slack.fail('chat.postMessage', { kind: 'ratelimited', retryAfterSeconds: 1 });
    const started = Date.now();
    const r = await gate.create(['kubectl', 'delete', 'ns', 'limited']);
    await until(() => slack.messagesFor(r.id).length === 1, 'the retried post');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await gate.idle();
    const posts = slack.callsOf('chat.postMessage').filter((c) => JSON.stringify(c.args).includes(r.id) && c.args.thread_ts === undefined);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(slack.messagesFor(r.id)).toHaveLength(1);
  });

  it('ok:false retryable codes are retried; internal_error is looked up first, then posted once', async () => {
    slack.fail('chat.postMessage', { kind: 'error', error: 'service_unavailable' });
    const a = await gate.create(['kubectl', 'delete', 'ns', 'retry-a']);
    await until(() => slack.messagesFor(a.id).length === 1, 'the retried post');
    slack.fail('chat.postMessage', { kind: 'error', error: 'internal_error' });
    const historyBefore = slack.callsOf('conversations.history').length;
    const b = await gate.create(['kubectl', 'delete', 'ns', 'retry-b']);
    await until(() => slack.messagesFor(b.id).length === 1, 'the post after the lookup');
    await gate.idle();
    expect(slack.callsOf('conversations.history').length).toBe(historyBefore + 1);
    expect(slack.messagesFor(a.id)).toHaveLength(1);
    expect(slack.messagesFor(b.id)).toHaveLength(1);
  });

  it('a post whose reply was lost is found in the channel history, not posted again', async () => {
    slack.fail('chat.postMessage', { kind: 'lost-reply' });
    const r = await gate.create(['kubectl', 'delete', 'ns', 'lost']);
    await until(() => gate.logs.some((l) => l.includes(`slack C0APPROVALS for ${r.id}: found the message of an interrupted post`)), 'the lookup', 15_000);
    await acked(click('U0ALICE', 'gate.approve', r.id));
    await gate.idle();
    const messages = slack.messagesFor(r.id);
    expect(messages).toHaveLength(1);
    // The found message is the one that gets edited.
    expect(JSON.stringify(messages[0]!.blocks)).toContain('*Approved* by alice');
    const history = slack.callsOf('conversations.history').at(-1)!;
    expect(history.args).toMatchObject({ channel: 'C0APPROVALS', include_all_metadata: 'true' });
  });

  it('a failed update is retried and the message ends up current', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'upd']);
    await gate.idle();
    slack.fail('chat.update', { kind: 'http', status: 503 });
    slack.fail('chat.update', { kind: 'ratelimited', retryAfterSeconds: 0 });
    await acked(click('U0ALICE', 'gate.approve', r.id));
    const [message] = slack.messagesFor(r.id);
    await until(() => JSON.stringify(message!.blocks).includes('*Approved* by alice'), 'the retried update');
    expect(slack.messagesFor(r.id)).toHaveLength(1);
  });
});

describe('the fake Slack enforces the documented shapes and limits', () => {
  const call = async (method: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const res = await fetch(`${slack.url}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const section = (text: string, i = 0) => ({ type: 'section', block_id: `b${i}`, text: { type: 'mrkdwn', text } });

  it('needs the bot token', async () => {
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x' }, { authorization: '' })).toEqual({ ok: false, error: 'not_authed' });
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x' }, { authorization: 'Bearer xoxb-wrong' })).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('rejects more than 50 blocks, a section over 3,000 characters, a long button, no text', async () => {
    const many = Array.from({ length: 51 }, (_, i) => section('x', i));
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x', blocks: many })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x', blocks: [section('y'.repeat(3001))] })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    const button = { type: 'actions', block_id: 'a', elements: [{ type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'z'.repeat(76) } }] };
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x', blocks: [button] })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS' })).toEqual({ ok: false, error: 'no_text' });
    expect(await call('chat.postMessage', { channel: 'C0NOPE', text: 'x' })).toEqual({ ok: false, error: 'channel_not_found' });
    expect(await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x'.repeat(40_001) })).toEqual({ ok: false, error: 'msg_too_long' });
  });

  it('reads arguments of read methods from the form only, and warns on JSON without a charset', async () => {
    expect(await call('users.info', { user: 'U0ERIN' })).toEqual({ ok: false, error: 'invalid_arguments' });
    const ok = await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'plain' }, { 'content-type': 'application/json' });
    expect(ok).toMatchObject({ ok: true, warning: 'missing_charset' });
    expect(await call('views.open', { trigger_id: 'never-issued', view: {} })).toEqual({ ok: false, error: 'invalid_trigger_id' });
  });
});

describe('the team binding', () => {
  it('an explicit mapping binds team and user: the same user id in another workspace is not that person', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'teams']);
    await gate.idle();
    await acked(slack.click({ url: gate.interactionsUrl, user: 'U0ALICE', team: 'T0EVIL', action: 'gate.approve', value: r.id }));
    await gate.idle();
    expect((await gate.get(r.id)).approvals).toEqual([]);
    expect(slack.ephemerals.at(-1)!.text).toContain('your Slack workspace (T0EVIL) is not the one gate trusts');
  });
});
