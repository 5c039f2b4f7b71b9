import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalRequest, CreateRequestBody, PrincipalKind } from '../../../../src/approval/protocol.js';
import { loadPolicy } from '../../../../src/policy/index.js';
import type { NotifySettings } from '../../../../src/server/notify/index.js';
import { startServer, type RunningServer } from '../../../../src/server/server.js';
import { SqliteStore } from '../../../../src/server/store/sqlite.js';
import { createToken } from '../../../../src/server/tokens.js';
import { clientDecision, createBody, http } from '../../helpers.js';

/** The server's policy: which rule announces where (Teams workflows and webhooks by name). */
export const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: k8s-delete
    decision: approve
    message: Deleting in Kubernetes needs an SRE.
    program: kubectl
    subcommand: [delete]
    approval: { from: [{ group: sre }], expires: 10m, notify: { teams: [ops, dba], webhook: [pager] } }
  - id: deploy
    decision: approve
    program: deploy
    approval: { from: [{ group: sre }], expires: 10m }
  - id: slack-only
    decision: approve
    program: slack-only
    approval: { notify: { slack: [C0APPROVALS] } }
`;

export const PEOPLE: Readonly<Record<string, { kind: PrincipalKind; groups: string[] }>> = {
  claude: { kind: 'agent', groups: [] },
  alice: { kind: 'human', groups: ['sre'] },
  bob: { kind: 'human', groups: ['sre'] },
};

export interface NotifyServer {
  readonly server: RunningServer;
  readonly tokens: Record<string, string>;
  /** Every line the server logged. */
  readonly logs: string[];
  create(argv: string[], who?: string, context?: Partial<CreateRequestBody['context']>): Promise<ApprovalRequest>;
  act(id: string, action: 'approve' | 'deny' | 'ask' | 'cancel', who: string, body?: Record<string, unknown>): Promise<number>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The real server in-process (startServer) on a temp SQLite file, with the given channels. */
export async function startNotifyServer(dir: string, notify: NotifySettings, options: { tokens?: Record<string, string>; policy?: string } = {}): Promise<NotifyServer> {
  const dbPath = join(dir, 'gate.db');
  const tokens: Record<string, string> = { ...options.tokens };
  if (options.tokens === undefined) {
    const store = new SqliteStore(dbPath);
    for (const [name, p] of Object.entries(PEOPLE)) tokens[name] = createToken(store, { name, kind: p.kind, groups: p.groups }, new Date().toISOString()).token;
    store.close();
  }
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy ?? POLICY);
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
    notify,
    notifyTuning: { webhookTimeoutMs: 1_000, retry: { backoff: { baseMs: 50, capMs: 200 }, maxAttempts: 4 } },
  });
  return {
    server,
    tokens,
    logs,
    create: async (argv, who = 'claude', context = {}) => {
      const res = await http(server.url, 'POST', '/v1/requests', tokens[who]!, createBody(argv, { context, client: clientDecision('allow') }));
      if (res.status !== 201) throw new Error(`create ${argv[0]}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    act: async (id, action, who, body = {}) => (await http(server.url, 'POST', `/v1/requests/${id}/${action}`, tokens[who]!, body)).status,
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
