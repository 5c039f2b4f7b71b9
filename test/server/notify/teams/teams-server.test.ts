import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GateError } from '../../../../src/errors.js';
import type { TeamsSettings } from '../../../../src/server/notify/index.js';
import { openDatabase } from '../../../../src/server/store/driver.js';
import { FakeTeamsWorkflow, type FakeWorkflow, type PostedCard } from '../../../helpers/fake-teams-workflow.js';
import { tempDir, type TempDir } from '../../helpers.js';
import { startNotifyServer, until, type NotifyServer } from './harness.js';

// The real approval server (startServer, SQLite, HTTP) announcing requests to a fake Teams
// Workflows webhook on 127.0.0.1 that checks every card against the documented contract.

let dir: TempDir;
let teams: FakeTeamsWorkflow;
let ops: FakeWorkflow;
let dba: FakeWorkflow;
let gate: NotifyServer;
const allLogs: string[] = [];

const settings = (): TeamsSettings => ({
  workflows: new Map([
    ['ops', ops.url],
    ['dba', dba.url],
  ]),
  defaults: ['ops'],
});

beforeAll(async () => {
  dir = tempDir('gate-teams-');
  teams = await new FakeTeamsWorkflow().start();
  ops = teams.addWorkflow('powerplatform');
  dba = teams.addWorkflow('legacy');
  gate = await startNotifyServer(dir.path, { teams: settings() });
});
afterEach(async () => {
  await gate.idle();
});
afterAll(async () => {
  await gate?.close();
  allLogs.push(...(gate?.logs ?? []));
  await teams?.close();
  dir?.cleanup();
});

type Card = { body: { text?: string; inlines?: { text: string }[] }[]; actions?: { type: string; title: string; url: string }[] };
const text = (c: PostedCard): string[] => (c.card as unknown as Card).body.map((b) => b.text ?? (b.inlines ?? []).map((i) => i.text).join(''));
const cardsFor = (w: FakeWorkflow, id: string): PostedCard[] => teams.cardsOf(w.id).filter((c) => JSON.stringify(c.card).includes(id));

describe('announcing requests in Teams', () => {
  it('posts exactly one card per workflow the rule names, with the context and links to the request page', async () => {
    const r = await gate.create(['kubectl', 'delete', 'ns', 'payments'], 'claude', { reason: 'INC-7 cleanup', on_behalf_of: 'alice' });
    await gate.idle();
    expect(cardsFor(ops, r.id)).toHaveLength(1);
    expect(cardsFor(dba, r.id)).toHaveLength(1);
    const card = cardsFor(ops, r.id)[0]!;
    expect(text(card)).toEqual(
      expect.arrayContaining(['kubectl delete ns payments', 'Agent: claude (agent)', 'On behalf of: alice', 'Reason: INC-7 cleanup', `Request: ${r.id}`, 'Approvals: 0 of 1 approval from sre']),
    );
    expect((card.card as unknown as Card).actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Review & approve', url: `${r.url}?via=teams` },
      { type: 'Action.OpenUrl', title: 'Deny…', url: `${r.url}?via=teams#reason` },
    ]);
    // The link opens the page gate serves for the request (a GET that decides nothing).
    const page = await fetch(`${r.url}?via=teams`, { redirect: 'manual' });
    expect([200, 302, 303]).toContain(page.status);
  });

  it('uses the default workflows for a rule that names no destination, and none for a rule that names only other kinds', async () => {
    const deploy = await gate.create(['deploy', 'prod']);
    const slackOnly = await gate.create(['slack-only']);
    await gate.idle();
    expect(cardsFor(ops, deploy.id)).toHaveLength(1);
    expect(cardsFor(dba, deploy.id)).toHaveLength(0);
    expect(teams.cardsMentioning(slackOnly.id)).toHaveLength(0);
  });

  it('posts one follow-up card with the outcome: approved by whom, denied with the reason', async () => {
    const a = await gate.create(['kubectl', 'delete', 'pod', 'a']);
    const d = await gate.create(['kubectl', 'delete', 'pod', 'd']);
    await gate.idle();
    expect(await gate.act(a.id, 'approve', 'alice')).toBe(200);
    expect(await gate.act(d.id, 'deny', 'bob', { reason: 'not during the freeze' })).toBe(200);
    await until(() => cardsFor(ops, a.id).length === 2 && cardsFor(ops, d.id).length === 2, 'the follow-ups');
    await gate.idle();
    expect(text(cardsFor(ops, a.id)[1]!)).toEqual(expect.arrayContaining([expect.stringMatching(/^Approved by alice at \d{4}-\d\d-\d\d \d\d:\d\d UTC\. Waiting for the requester to run it\.$/)]));
    expect(text(cardsFor(dba, d.id)[1]!)).toEqual(expect.arrayContaining([expect.stringMatching(/^Denied by bob at .*: not during the freeze$/)]));
    expect(cardsFor(ops, a.id)).toHaveLength(2);
    expect(cardsFor(dba, a.id)).toHaveLength(2);
  });

  it('cuts a command too long for a Teams message and says so; the card is accepted', async () => {
    const r = await gate.create(['deploy', '€'.repeat(60_000)]);
    await gate.idle();
    const [card] = cardsFor(ops, r.id);
    expect(card).toBeDefined();
    expect(card!.bytes).toBeLessThanOrEqual(28 * 1024);
    const note = text(card!).find((t) => t.startsWith('Command truncated:'));
    // `deploy '€€…€'`: the quoted argv, 60,009 characters.
    expect(note).toMatch(/^Command truncated: \d{4,5} of 60009 characters shown\. Open the request for the full command\.$/);
  });
});

describe('when Teams refuses or fails', () => {
  it('429: waits for Retry-After and posts once, no duplicate', async () => {
    teams.fail(ops.id, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const r = await gate.create(['deploy', 'throttled']);
    await until(() => cardsFor(ops, r.id).length === 1, 'the post after the 429');
    await gate.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(cardsFor(ops, r.id)).toHaveLength(1);
    expect(gate.logs.some((l) => l.includes(`teams ops for ${r.id}: post failed (workflow "ops": HTTP 429)`))).toBe(true);
  });

  it('5xx and timeouts are sent again: a card that may have arrived is duplicated rather than lost', async () => {
    teams.fail(ops.id, { status: 502 });
    const r = await gate.create(['deploy', 'flaky']);
    await until(() => cardsFor(ops, r.id).length === 1, 'the post after the 502');
    teams.fail(ops.id, { status: 'lost-reply' });
    const lost = await gate.create(['deploy', 'lost']);
    await until(() => cardsFor(ops, lost.id).length === 2, 'the second post after a lost reply');
    await gate.idle();
    expect(cardsFor(ops, r.id)).toHaveLength(1);
    expect(cardsFor(ops, lost.id)).toHaveLength(2);
    expect(gate.logs.some((l) => l.includes('may have arrived; sending again'))).toBe(true);
  });

  it('400 and 401 are permanent: given up at once, logged by name', async () => {
    teams.fail(ops.id, { status: 401 });
    teams.fail(dba.id, { status: 400 });
    const before = teams.calls.length;
    const r = await gate.create(['kubectl', 'delete', 'ns', 'refused']);
    await gate.idle();
    expect(teams.calls.length - before).toBe(2);
    expect(teams.cardsMentioning(r.id)).toHaveLength(0);
    expect(gate.logs).toEqual(expect.arrayContaining([`notify: teams ops for ${r.id}: not posted: workflow "ops": HTTP 401`, `notify: teams dba for ${r.id}: not posted: workflow "dba": HTTP 400`]));
  });
});

describe('the Teams outbox across restarts', () => {
  it('a post that failed while Teams was unreachable is sent after a restart, once', async () => {
    const restartDir = tempDir('gate-teams-restart-');
    const fake = await new FakeTeamsWorkflow().start();
    const w = fake.addWorkflow();
    const port = fake.port;
    const notify = { teams: { workflows: new Map([['ops', w.url]]), defaults: ['ops'] } };
    const policy = 'version: 1\ndefaults: { unmatched: allow }\nrules:\n  - { id: deploy, decision: approve, program: deploy }\n';
    let server: NotifyServer | undefined = await startNotifyServer(restartDir.path, notify, { policy });
    try {
      await fake.close();
      const r = await server.create(['deploy', 'outage']);
      await until(() => server!.logs.some((l) => l.includes(`teams ops for ${r.id}: post failed (workflow "ops": ECONNREFUSED)`)), 'a failed attempt');
      const tokens = server.tokens;
      allLogs.push(...server.logs);
      await server.close();
      server = undefined;
      await fake.start(port);
      server = await startNotifyServer(restartDir.path, notify, { tokens, policy });
      await until(() => fake.cardsMentioning(r.id).length === 1, 'the post after the restart');
      await server.idle();
      expect(fake.cardsMentioning(r.id)).toHaveLength(1);
      allLogs.push(...server.logs);
    } finally {
      await server?.close();
      await fake.close();
      restartDir.cleanup();
    }
  });

  it('a crash in the middle of a post: Teams cannot be searched, so the card is posted again (a duplicate, not a loss)', async () => {
    const restartDir = tempDir('gate-teams-midway-');
    const policy = 'version: 1\ndefaults: { unmatched: allow }\nrules:\n  - { id: deploy, decision: approve, program: deploy }\n';
    const notify = { teams: { workflows: new Map([['ops', ops.url]]), defaults: ['ops'] } };
    let server: NotifyServer | undefined = await startNotifyServer(restartDir.path, notify, { policy });
    try {
      const r = await server.create(['deploy', 'midway']);
      await server.idle();
      expect(teams.cardsMentioning(r.id)).toHaveLength(1);
      const tokens = server.tokens;
      allLogs.push(...server.logs);
      await server.close();
      server = undefined;
      // As if the server died after Teams accepted the post but before it saved the reply.
      const db = openDatabase(join(restartDir.path, 'gate.db'));
      db.prepare("UPDATE notify_outbox SET state = 'posting', ref = NULL, posting_since_ms = ? WHERE request_id = ?").run(Date.now() - 1000, r.id);
      db.close();
      server = await startNotifyServer(restartDir.path, notify, { tokens, policy });
      await until(() => teams.cardsMentioning(r.id).length === 2, 'the second post');
      await server.idle();
      expect(teams.cardsMentioning(r.id)).toHaveLength(2);
      expect(server.logs).toContain(`notify: teams ops for ${r.id}: a post was interrupted and Teams cannot be searched; posting again (a duplicate card is possible)`);
      allLogs.push(...server.logs);
    } finally {
      await server?.close();
      restartDir.cleanup();
    }
  });

  it('a policy naming a workflow the config lacks stops the start, naming the rule and the name', async () => {
    const other = tempDir('gate-teams-unknown-');
    try {
      const error = await startNotifyServer(other.path, { teams: { workflows: new Map([['ops', ops.url]]), defaults: [] } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GateError);
      expect((error as GateError).message).toMatch(/rule k8s-delete \(.*policy\.yaml:\d+\): approval\.notify\.teams names "dba", which is not in the server config's notify\.teams\.workflows/);
      expect((error as GateError).message).not.toContain(ops.sig);
    } finally {
      other.cleanup();
    }
  });
});

describe('the Workflows URL is a secret', () => {
  // Last: it reads the logs of every server above, restarts included.
  it('appears in no log line and no stored error', async () => {
    await gate.idle();
    const logs = [...allLogs, ...gate.logs];
    expect(logs.length).toBeGreaterThan(5);
    for (const w of [ops, dba]) {
      for (const line of logs) {
        expect(line).not.toContain(w.sig);
        expect(line).not.toContain(w.id);
        expect(line).not.toContain(new URL(w.url).host);
      }
    }
    const db = openDatabase(join(dir.path, 'gate.db'));
    try {
      const errors = (db.prepare('SELECT last_error FROM notify_outbox WHERE last_error IS NOT NULL').all() as { last_error: string }[]).map((r) => r.last_error);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) for (const w of [ops, dba]) expect(e).not.toContain(w.sig);
    } finally {
      db.close();
    }
  });
});
