import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalRequest, CreateRequestBody, PrincipalKind } from '../../../../src/approval/protocol.js';
import { loadPolicy } from '../../../../src/policy/index.js';
import type { SlackSettings } from '../../../../src/server/notify/index.js';
import { INTERACTIONS_PATH } from '../../../../src/server/notify/slack/interactions.js';
import { startServer, type RunningServer } from '../../../../src/server/server.js';
import { SqliteStore } from '../../../../src/server/store/sqlite.js';
import { createToken } from '../../../../src/server/tokens.js';
import { FakeSlack, type FakeSlackOptions } from '../../../helpers/fake-slack.js';
import { clientDecision, createBody, http } from '../../helpers.js';

export const TOKEN = 'xoxb-test-0000-bot-token';
export const SECRET = 'slack-signing-secret-for-tests';
export const TEAM = 'T0ACME';

/** The server's own policy: where each rule's requests are announced. */
export const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: k8s-delete
    decision: approve
    message: Deleting in Kubernetes needs an SRE.
    program: kubectl
    subcommand: [delete]
    approval: { from: [{ group: sre }], expires: 10m, notify: { slack: [C0APPROVALS] } }
  - id: pg-prod
    decision: approve
    program: psql
    approval: { from: [{ group: dba, count: 2 }], expires: 10m, notify: { slack: [C0APPROVALS, C0DBA] } }
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 10m }
  - id: lost-channel
    decision: approve
    program: nowhere
    approval: { notify: { slack: [C0NOPE] } }
  - id: teams-only
    decision: approve
    program: teams-only
    approval: { notify: { teams: [ops] } }
`;

/** gate principals and the Slack users the config maps to them. */
export const PEOPLE: Readonly<Record<string, { kind: PrincipalKind; groups: string[]; slack?: string }>> = {
  claude: { kind: 'agent', groups: [], slack: 'U0CLAUDE' },
  'svc-bot': { kind: 'agent', groups: ['sre'], slack: 'U0SVC' },
  dev: { kind: 'human', groups: ['sre'], slack: 'U0DEV' },
  alice: { kind: 'human', groups: ['sre'], slack: 'U0ALICE' },
  bob: { kind: 'human', groups: ['dba'], slack: 'U0BOB' },
  carol: { kind: 'human', groups: ['dba'], slack: 'U0CAROL' },
  // Mapped by email lookup (users.info), not by the config.
  'erin@example.com': { kind: 'human', groups: ['dba'] },
};

export function fakeSlack(over: Partial<FakeSlackOptions> = {}): FakeSlack {
  return new FakeSlack({
    token: TOKEN,
    signingSecret: SECRET,
    teamId: TEAM,
    channels: [
      { id: 'C0APPROVALS', name: 'approvals' },
      { id: 'C0DBA', name: 'dba' },
      { id: 'C0DEFAULT', name: 'gate-default' },
    ],
    users: [
      { id: 'U0ERIN', team_id: TEAM, name: 'erin', email: 'erin@example.com' },
      { id: 'U0GUEST', team_id: TEAM, name: 'guest', email: 'carol@example.com', is_restricted: true },
      { id: 'U0ELSEWHERE', team_id: 'T0OTHER', name: 'erin2', email: 'erin@example.com' },
      { id: 'U0NOBODY', team_id: TEAM, name: 'nobody', email: 'nobody@example.com' },
    ],
    ...over,
  });
}

export function slackSettings(slack: FakeSlack, over: Partial<SlackSettings> = {}): SlackSettings {
  const users = new Map<string, string>();
  for (const [name, p] of Object.entries(PEOPLE)) if (p.slack !== undefined) users.set(`${TEAM}/${p.slack}`, name);
  return {
    apiUrl: slack.url,
    botToken: TOKEN,
    signingSecret: SECRET,
    appId: 'A0GATE',
    teamId: TEAM,
    defaultChannels: ['C0DEFAULT'],
    users,
    emailLookup: true,
    ...over,
  };
}

export interface SlackServer {
  readonly server: RunningServer;
  readonly tokens: Record<string, string>;
  readonly logs: string[];
  readonly interactionsUrl: string;
  /** Creates a request as `who` (default the agent claude), the server's policy deciding. */
  create(argv: string[], who?: string, context?: Partial<CreateRequestBody['context']>): Promise<ApprovalRequest>;
  /** The request as `who` (default claude, the usual requester) sees it. */
  get(id: string, who?: string): Promise<ApprovalRequest>;
  /** Waits until no delivery or click is in progress. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The real server in-process (startServer) on a temp SQLite file, posting to `slack`. */
export async function startSlackServer(
  dir: string,
  slack: FakeSlack,
  options: { settings?: Partial<SlackSettings>; tokens?: Record<string, string>; timeoutMs?: number } = {},
): Promise<SlackServer> {
  const dbPath = join(dir, 'gate.db');
  const tokens: Record<string, string> = { ...options.tokens };
  if (options.tokens === undefined) {
    const store = new SqliteStore(dbPath);
    for (const [name, p] of Object.entries(PEOPLE)) tokens[name] = createToken(store, { name, kind: p.kind, groups: p.groups }, new Date().toISOString()).token;
    store.close();
  }
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
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
    notify: { slack: slackSettings(slack, options.settings) },
    notifyTuning: { slackTimeoutMs: options.timeoutMs ?? 2_000, retry: { backoff: { baseMs: 50, capMs: 200 }, maxAttempts: 4 } },
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
    idle: () => server.notifications.idle(),
    close: () => server.close(),
  };
}

/** Polls until `check` holds (each poll reads real state), or fails naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
