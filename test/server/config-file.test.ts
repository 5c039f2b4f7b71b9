import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateError } from '../../src/errors.js';
import { loadServerConfig } from '../../src/server/config-file.js';
import { resolveNotifySettings } from '../../src/server/notify/index.js';
import { tempDir, type TempDir } from './helpers.js';

// The server config file (gate serve --config): validated with located messages, secrets only in
// an owner-only file or the environment, and never repeated in a message.

let dir: TempDir;
let n = 0;
beforeAll(() => {
  dir = tempDir('gate-config-');
});
afterAll(() => dir.cleanup());

function file(yaml: string, mode = 0o600): string {
  const path = join(dir.path, `config-${n++}.yaml`);
  writeFileSync(path, yaml, { mode });
  chmodSync(path, mode);
  return path;
}

function failure(run: () => unknown): GateError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GateError);
    expect((error as GateError).code).toBe('CONFIG_INVALID');
    return error as GateError;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

const GOOD = `notify:
  slack:
    api_url: http://127.0.0.1:9/api
    team_id: T0ACME
    app_id: A0GATE
    default_channels: [C0APPROVALS, "#ops"]
    users:
      T0ACME/U0BOB: bob
    email_lookup: true
`;

describe('the server config file', () => {
  it('reads the Slack section; secrets come from the environment', () => {
    const path = file(GOOD, 0o644);
    const settings = resolveNotifySettings(loadServerConfig(path), { GATE_SLACK_BOT_TOKEN: 'xoxb-env', GATE_SLACK_SIGNING_SECRET: 'secret-env' }, path).slack!;
    expect(settings).toMatchObject({ apiUrl: 'http://127.0.0.1:9/api', botToken: 'xoxb-env', signingSecret: 'secret-env', teamId: 'T0ACME', appId: 'A0GATE', defaultChannels: ['C0APPROVALS', '#ops'], emailLookup: true });
    expect([...settings.users]).toEqual([['T0ACME/U0BOB', 'bob']]);
    expect(resolveNotifySettings(loadServerConfig(file('{}\n')), {}, 'x')).toEqual({});
  });

  it('takes secrets from an owner-only file, the environment winning', () => {
    const path = file(`${GOOD}    bot_token: xoxb-file-token\n    signing_secret: file-signing-secret\n`);
    const fromFile = resolveNotifySettings(loadServerConfig(path), {}, path).slack!;
    expect([fromFile.botToken, fromFile.signingSecret]).toEqual(['xoxb-file-token', 'file-signing-secret']);
    const fromEnv = resolveNotifySettings(loadServerConfig(path), { GATE_SLACK_BOT_TOKEN: 'xoxb-env' }, path).slack!;
    expect([fromEnv.botToken, fromEnv.signingSecret]).toEqual(['xoxb-env', 'file-signing-secret']);
  });

  it('refuses a file with secrets that others can read, without repeating them', () => {
    const path = file(`notify:\n  slack:\n    bot_token: xoxb-leaky-token\n`, 0o644);
    const error = failure(() => loadServerConfig(path));
    expect(error.message).toBe(`${path}:3:16: notify.slack.bot_token: the file holds secrets but is readable by others (mode 644)`);
    expect(error.hint).toContain(`chmod 600 ${path}`);
    expect(`${error.message} ${error.hint}`).not.toContain('xoxb-leaky-token');
  });

  it('says which secret is missing and where it may come from', () => {
    const path = file(GOOD);
    const error = failure(() => resolveNotifySettings(loadServerConfig(path), { GATE_SLACK_BOT_TOKEN: 'xoxb-env' }, path));
    expect(error.message).toContain('the signing secret (GATE_SLACK_SIGNING_SECRET or notify.slack.signing_secret) is missing');
    expect(error.message).not.toContain('xoxb-env');
  });

  it('reports every schema problem as file:line:column: field: message', () => {
    const path = file(`notify:
  slack:
    default_channels: ["bad channel"]
    users:
      bob: bob
    email_lookup: true
    token: xoxb-typo
  email: {}
`);
    const error = failure(() => loadServerConfig(path));
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/^invalid server config \(\d+ problems\)$/);
    const text = error.message;
    expect(text).toContain(`${path}:7:5: notify.slack.token: unknown key "token"`);
    expect(text).toContain(`${path}:8:3: notify.email: unknown key "email"`);
    expect(text).toMatch(new RegExp(`${path}:3:24: notify\\.slack\\.default_channels\\[0\\]: must match pattern`));
    expect(text).toContain(`${path}:5:7: notify.slack.users: must match pattern "^[TE][A-Z0-9]{1,40}/[UW][A-Z0-9]{1,40}$"; got "bob"`);
    expect(text).not.toContain('xoxb-typo');
  });

  it('never quotes a secret it rejects', () => {
    const path = file('notify:\n  slack:\n    bot_token: short\n    signing_secret: [s3cr3t-in-a-list]\n');
    const error = failure(() => loadServerConfig(path));
    expect(error.message).toContain('notify.slack.bot_token');
    expect(error.message).toContain('notify.slack.signing_secret');
    expect(error.message).not.toMatch(/short|s3cr3t/);
  });

  it('email lookup needs the workspace it trusts', () => {
    const path = file('notify:\n  slack:\n    email_lookup: true\n');
    expect(failure(() => loadServerConfig(path)).message).toContain(`${path}:3:5: notify.slack: missing required key "team_id"`);
  });

  it('reports YAML syntax errors with their position, and an unreadable file', () => {
    const error = failure(() => loadServerConfig(file('notify:\n  slack: [\n')));
    expect(error.message).toMatch(/config-\d+\.yaml:\d+:\d+: YAML: /);
    expect(failure(() => loadServerConfig(join(dir.path, 'missing.yaml'))).message).toContain('ENOENT');
  });
});
