import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalRequest, CreateRequestBody, ErrorBody, PrincipalKind } from '../../../src/approval/protocol.js';
import { loadPolicy } from '../../../src/policy/index.js';
import { INTERACTIONS_PATH } from '../../../src/server/notify/slack/interactions.js';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { SqliteStore } from '../../../src/server/store/sqlite.js';
import { createToken } from '../../../src/server/tokens.js';
import type { FakeSlack } from '../../helpers/fake-slack.js';
import { clientDecision, createBody, http, type TestClock } from '../helpers.js';
import { fakeSlack as baseFakeSlack, slackSettings, TEAM } from '../notify/slack/harness.js';

// The real server in-process with a fake Slack, a policy of the test's choosing and, optionally,
// a movable clock: for reminders, escalations and re-authentication across channels.

export const CHANNELS = { approvals: 'C0APPROVALS', leads: 'C0LEADS' } as const;

/** gate principals, their groups and their Slack user ids (mapped in the server config). */
export const PEOPLE: Readonly<Record<string, { kind: PrincipalKind; groups: string[]; slack: string }>> = {
  claude: { kind: 'agent', groups: [], slack: 'U0CLAUDE' },
  alice: { kind: 'human', groups: ['sre'], slack: 'U0ALICE' },
  bob: { kind: 'human', groups: ['dba'], slack: 'U0BOB' },
  carol: { kind: 'human', groups: ['dba'], slack: 'U0CAROL' },
  lee: { kind: 'human', groups: ['leads'], slack: 'U0LEE' },
  // A human requester who is also a lead: escalation must not let them approve their own request.
  sam: { kind: 'human', groups: ['leads', 'dev'], slack: 'U0SAM' },
};

export function fakeSlack(): FakeSlack {
  return baseFakeSlack({
    channels: [
      { id: CHANNELS.approvals, name: 'approvals' },
      { id: CHANNELS.leads, name: 'leads' },
      { id: 'C0DEFAULT', name: 'gate-default' },
    ],
  });
}

export interface Gate {
  readonly server: RunningServer;
  readonly tokens: Record<string, string>;
  readonly logs: string[];
  readonly interactionsUrl: string;
  create(argv: string[], who?: string, context?: Partial<CreateRequestBody['context']>): Promise<ApprovalRequest>;
  get(id: string, who?: string): Promise<ApprovalRequest>;
  act(id: string, action: string, who: string, body?: unknown): Promise<{ status: number; body: ApprovalRequest & Partial<ErrorBody> }>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Starts gate on `dir` (principals are created on the first start and kept in its database). */
export async function startGate(dir: string, slack: FakeSlack, options: { policy: string; clock?: TestClock; tokens?: Record<string, string> }): Promise<Gate> {
  const dbPath = join(dir, 'gate.db');
  const tokens: Record<string, string> = { ...options.tokens };
  if (options.tokens === undefined) {
    const store = new SqliteStore(dbPath);
    for (const [name, p] of Object.entries(PEOPLE)) tokens[name] = createToken(store, { name, kind: p.kind, groups: p.groups }, new Date().toISOString()).token;
    store.close();
  }
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy);
  const users = new Map(Object.entries(PEOPLE).map(([name, p]) => [`${TEAM}/${p.slack}`, name]));
  const logs: string[] = [];
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath,
    keyPath: join(dir, 'server-key.pem'),
    policy: await loadPolicy([policyFile], { version: 'test' }),
    receiptTtlSeconds: 300,
    version: 'test',
    log: (line) => logs.push(line),
    notify: { slack: slackSettings(slack, { users, emailLookup: false }) },
    notifyTuning: { slackTimeoutMs: 2_000, retry: { backoff: { baseMs: 50, capMs: 200 }, maxAttempts: 4 } },
    ...(options.clock !== undefined ? { clock: options.clock.now } : {}),
  });
  return {
    server,
    tokens,
    logs,
    interactionsUrl: `${server.url}${INTERACTIONS_PATH}`,
    create: async (argv, who = 'claude', context = {}) => {
      const res = await http(server.url, 'POST', '/v1/requests', tokens[who]!, createBody(argv, { context, client: clientDecision('allow') }));
      if (res.status !== 201) throw new Error(`create ${argv.join(' ')}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    get: async (id, who = 'claude') => (await http(server.url, 'GET', `/v1/requests/${id}`, tokens[who]!)).body,
    act: (id, action, who, body = {}) => http(server.url, 'POST', `/v1/requests/${id}/${action}`, tokens[who]!, body),
    idle: () => server.notifications.idle(),
    close: () => server.close(),
  };
}
