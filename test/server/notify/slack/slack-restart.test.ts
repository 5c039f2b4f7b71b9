import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/server/store/driver.js';
import type { FakeSlack } from '../../../helpers/fake-slack.js';
import { tempDir, type TempDir } from '../../helpers.js';
import { fakeSlack, startSlackServer, until, type SlackServer } from './harness.js';

// Durability of the outbox across restarts: a Slack outage, a crash before the outbox row was
// written, a crash in the middle of a post. Each ends with exactly one message per channel.

let dir: TempDir;
let slack: FakeSlack;
let gate: SlackServer | undefined;

beforeEach(async () => {
  dir = tempDir('gate-slack-restart-');
  slack = await fakeSlack().start();
});
afterEach(async () => {
  await gate?.close();
  gate = undefined;
  await slack.close();
  dir.cleanup();
});

/** Changes outbox rows behind the server's back, as a crash at the wrong moment would leave them. */
function sql(statement: string, ...args: unknown[]): void {
  const db = openDatabase(join(dir.path, 'gate.db'));
  try {
    db.prepare(statement).run(...args);
  } finally {
    db.close();
  }
}

describe('the Slack outbox survives restarts', () => {
  it('a captured interaction replayed after a restart is still refused (the accepted signatures are in the database)', async () => {
    gate = await startSlackServer(dir.path, slack);
    const r = await gate.create(['kubectl', 'delete', 'ns', 'replay']);
    await gate.idle();
    const genuine = await slack.click({ url: gate.interactionsUrl, user: 'U0DEV', action: 'gate.ask', value: r.id });
    expect(genuine.status).toBe(200);
    const tokens = gate.tokens;
    await gate.close();
    gate = undefined;

    gate = await startSlackServer(dir.path, slack, { tokens });
    const replay = await slack.send(gate.interactionsUrl, genuine.sent.body, genuine.sent.headers);
    expect(replay.status).toBe(401);
    expect(gate.logs).toContain('slack: refused an interaction: replayed signature');
  });

  it('a request created while Slack is unreachable is posted once Slack and the server are back', async () => {
    const port = Number(new URL(slack.url).port);
    await slack.close();
    gate = await startSlackServer(dir.path, slack);
    const r = await gate.create(['kubectl', 'delete', 'ns', 'outage']);
    await until(() => gate!.logs.some((l) => l.includes(`for ${r.id}: post failed (chat.postMessage: ECONNREFUSED)`)), 'a failed attempt');
    const tokens = gate.tokens;
    await gate.close();
    gate = undefined;

    await slack.start(port);
    gate = await startSlackServer(dir.path, slack, { tokens });
    await until(() => slack.messagesFor(r.id).length === 1, 'the post after the restart');
    await gate.idle();
    expect(slack.messagesFor(r.id)).toHaveLength(1);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('a crash between the request and its outbox row loses no message: pending requests are queued at start', async () => {
    gate = await startSlackServer(dir.path, slack);
    const port = Number(new URL(slack.url).port);
    await slack.close();
    const r = await gate.create(['kubectl', 'delete', 'ns', 'crash']);
    const tokens = gate.tokens;
    await gate.close();
    gate = undefined;
    sql('DELETE FROM notify_outbox WHERE request_id = ?', r.id);

    await slack.start(port);
    gate = await startSlackServer(dir.path, slack, { tokens });
    await until(() => slack.messagesFor(r.id).length === 1, 'the post after the restart');
    await gate.idle();
    expect(slack.messagesFor(r.id)).toHaveLength(1);
  });

  it('a crash in the middle of a post: the message is found in the channel and adopted, never posted twice', async () => {
    gate = await startSlackServer(dir.path, slack);
    const r = await gate.create(['kubectl', 'delete', 'ns', 'midway']);
    await gate.idle();
    expect(slack.messagesFor(r.id)).toHaveLength(1);
    const tokens = gate.tokens;
    await gate.close();
    gate = undefined;
    // As if the server died after Slack accepted the post but before it saved the reply.
    sql("UPDATE notify_outbox SET state = 'posting', ref = NULL, rendered_seq = 0, posting_since_ms = ? WHERE request_id = ?", Date.now() - 1000, r.id);

    gate = await startSlackServer(dir.path, slack, { tokens });
    await gate.idle();
    await slack.click({ url: gate.interactionsUrl, user: 'U0ALICE', action: 'gate.approve', value: r.id });
    await gate.idle();
    const messages = slack.messagesFor(r.id);
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]!.blocks)).toContain('*Approved* by alice');
    expect(gate.logs.some((l) => l.includes('found the message of an interrupted post'))).toBe(true);
  });

  it('when the lookup is impossible (no history scope), an interrupted post is given up, not repeated', async () => {
    await slack.close();
    slack = await fakeSlack({ scopes: ['chat:write', 'users:read', 'users:read.email'] }).start();
    gate = await startSlackServer(dir.path, slack);
    slack.fail('chat.postMessage', { kind: 'http', status: 500 });
    const r = await gate.create(['kubectl', 'delete', 'ns', 'noscope']);
    await until(() => gate!.logs.some((l) => l.includes(`for ${r.id}: a post was interrupted and gate cannot tell whether it arrived`)), 'giving up');
    await gate.idle();
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(gate.logs.find((l) => l.includes('cannot tell whether'))).toContain('conversations.history: missing_scope');
  });
});
