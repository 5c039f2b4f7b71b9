import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createToken, Processes, startGateAs, startServe, type Served } from '../../../helpers/approval-e2e.js';
import type { FakeSlack } from '../../../helpers/fake-slack.js';
import { ROOT, runGate, tempDir, writeFile } from '../../../helpers/gate.js';
import { fakeSlack, SECRET, TEAM, TOKEN, until } from './harness.js';

// The whole loop with real processes: `gate serve --config` posting to a fake Slack, a real
// `gate -- make-marker` waiting for approval, and a signed Slack click that lets the command run.

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: marker-sre
    decision: approve
    message: Making markers needs an SRE.
    program: make-marker
    approval: { from: [{ group: sre }], expires: 30s, notify: { slack: [C0APPROVALS] } }
`;

const processes = new Processes();
let root: { path: string; cleanup: () => void };
let slack: FakeSlack;
let serverHome = '';
let policyFile = '';
let configFile = '';
const tokens: Record<string, string> = {};

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  root = tempDir('gate-slack-e2e-');
  slack = await fakeSlack().start();
  serverHome = join(root.path, 'server');
  policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
  // Secrets in the file (startServe passes no environment through): it must be owner-only.
  configFile = join(root.path, 'gate-server.yaml');
  writeFileSync(
    configFile,
    `notify:
  slack:
    api_url: ${slack.url}
    bot_token: ${TOKEN}
    signing_secret: ${SECRET}
    team_id: ${TEAM}
    users:
      ${TEAM}/U0ALICE: alice
      ${TEAM}/U0CLAUDE: claude
`,
    { mode: 0o600 },
  );
  const db = join(serverHome, 'server', 'gate.db');
  tokens.claude = await createToken(serverHome, db, 'claude', 'agent');
  tokens.alice = await createToken(serverHome, db, 'alice', 'human', ['sre']);
});
afterEach(() => processes.killAll());
afterAll(async () => {
  processes.killAll();
  await slack?.close();
  root?.cleanup();
});

describe('gate serve with Slack', () => {
  it('a waiting `gate -- cmd` runs once a mapped approver clicks Approve in Slack', async () => {
    const server: Served = await startServe({ home: serverHome, policy: policyFile, args: ['--config', configFile] }, processes);
    await until(() => server.lines.some((l) => l.startsWith('gate serve: notifications: slack')), 'the notifications line');
    expect(server.lines.join('\n')).toContain(`interactions at ${server.url}/slack/interactions`);

    const marker = join(root.path, 'approved.marker');
    const requester = startGateAs(
      { home: join(root.path, 'claude'), url: server.url, token: tokens.claude!, env: { GATE_POLICY: policyFile } },
      ['--', 'make-marker', marker],
      processes,
    );
    const id = await requester.requestId();
    await until(() => slack.messagesFor(id).length === 1, 'the Slack message');
    const [message] = slack.messagesFor(id);
    expect(message!.channel).toBe('C0APPROVALS');
    expect(JSON.stringify(message!.blocks)).toContain(`\`\`\`make-marker ${marker}\`\`\``);
    expect(existsSync(marker)).toBe(false);

    const res = await slack.click({ url: `${server.url}/slack/interactions`, user: 'U0ALICE', action: 'gate.approve', value: id, message: message! });
    expect(res.status).toBe(200);
    const result = await requester.result;
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(result.stderr).toContain('approved by alice');
    // The message follows the request to its end, and the requester is told in the thread.
    await until(() => JSON.stringify(message!.blocks).includes('It exited with code 0.'), 'the final update');
    await until(() => slack.repliesTo(message!).length > 0, 'the outcome reply');
    expect(slack.repliesTo(message!)[0]!.text).toMatch(/^<@U0CLAUDE> :white_check_mark: \*Approved\* by alice/);
    expect(slack.messagesFor(id)).toHaveLength(1);
    // No secret in anything the server printed.
    expect(server.lines.join('\n')).not.toContain(TOKEN);
    expect(server.lines.join('\n')).not.toContain(SECRET);
  });

  it('refuses to start with an invalid config (exit 125, file:line:column: field: message)', async () => {
    const bad = writeFile(join(root.path, 'bad.yaml'), 'notify:\n  slack:\n    default_chanels: [C0X]\n');
    const result = await runGate(['serve', '--listen', '127.0.0.1:0', '--policy', policyFile, '--config', bad], { home: serverHome });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`gate serve: ${bad}:3:5: notify.slack.default_chanels: unknown key "default_chanels" (did you mean "default_channels"?)`);
  });
});
