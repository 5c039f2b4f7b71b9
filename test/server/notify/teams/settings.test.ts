import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GateError } from '../../../../src/errors.js';
import { loadServerConfig } from '../../../../src/server/config-file.js';
import { checkNotifyNames, resolveNotifySettings } from '../../../../src/server/notify/index.js';
import { resolveTeamsSettings, workflowUrlKind } from '../../../../src/server/notify/teams/settings.js';
import { tempDir, type TempDir } from '../../helpers.js';

const SIG = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
const NEW_URL = `https://default0123456789abcdef0123456789abcd.ef.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
const LEGACY_URL = `https://prod-12.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;

describe('Teams Workflows URLs', () => {
  it('accepts both shapes Microsoft issued, and nothing else', () => {
    expect(workflowUrlKind(NEW_URL)).toBe('powerplatform');
    expect(workflowUrlKind(LEGACY_URL)).toBe('legacy');
    for (const bad of [
      NEW_URL.replace('https:', 'http:'),
      NEW_URL.replace(`&sig=${SIG}`, ''),
      NEW_URL.replace('environment.api.powerplatform.com', 'environment.api.powerplatform.com.evil.example'),
      NEW_URL.replace(':443', ':8443'),
      NEW_URL.replace('/workflows/0123456789abcdef0123456789abcdef/', '/workflows/xyz/'),
      'https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi',
      'not a url',
    ]) {
      expect(workflowUrlKind(bad)).toBeUndefined();
    }
  });

  it('takes the URL from the environment, warns about a legacy URL, and never quotes one in an error', () => {
    const { settings, warnings } = resolveTeamsSettings({ workflows: { ops: { url_env: 'OPS_URL' }, old: { url: LEGACY_URL } }, default: ['ops'] }, { OPS_URL: NEW_URL }, 'server.yaml');
    expect([...settings.workflows]).toEqual([
      ['ops', NEW_URL],
      ['old', LEGACY_URL],
    ]);
    expect(settings.defaults).toEqual(['ops']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/notify\.teams\.workflows\.old: .*2025-11-30/);
    expect(warnings[0]).not.toContain(SIG);

    const bad = () => resolveTeamsSettings({ workflows: { ops: { url_env: 'OPS_URL' }, typo: { url: NEW_URL.replace('https:', 'http:') } }, default: ['nope'] }, {}, 'server.yaml');
    expect(bad).toThrow(GateError);
    try {
      bad();
    } catch (error) {
      const message = (error as GateError).message;
      expect(message).toContain('notify.teams.workflows.ops: the environment variable OPS_URL is not set');
      expect(message).toContain('notify.teams.workflows.typo: not a Teams Workflows webhook URL');
      expect(message).toContain('notify.teams.default: "nope" is not one of notify.teams.workflows');
      expect(message).not.toContain(SIG);
    }
  });
});

describe('the server config file with Teams and webhooks', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir('gate-teams-config-');
  });
  afterEach(() => dir.cleanup());

  const write = (yaml: string, mode: number): string => {
    const file = join(dir.path, 'server.yaml');
    writeFileSync(file, yaml);
    chmodSync(file, mode);
    return file;
  };

  it('loads workflows and webhooks with their secrets from the environment, whatever the file mode', () => {
    const file = write(
      `notify:
  teams:
    workflows: { ops: { url_env: GATE_TEAMS_OPS } }
    default: [ops]
  webhooks:
    pager: { url: "https://hooks.example/gate", secret_env: GATE_HOOK_PAGER, default: true }
`,
      0o644,
    );
    const settings = resolveNotifySettings(loadServerConfig(file), { GATE_TEAMS_OPS: NEW_URL, GATE_HOOK_PAGER: 'x'.repeat(32) }, file);
    expect(settings.teams?.workflows.get('ops')).toBe(NEW_URL);
    expect(settings.webhooks?.endpoints.get('pager')).toEqual({ url: 'https://hooks.example/gate', secret: 'x'.repeat(32) });
    expect(settings.webhooks?.defaults).toEqual(['pager']);
  });

  it('refuses a file that holds a Workflows URL or a webhook secret and is readable by others, without quoting either', () => {
    for (const section of [`teams:\n    workflows: { ops: { url: "${NEW_URL}" } }`, `webhooks:\n    pager: { url: "https://hooks.example/gate", secret: "${'s'.repeat(32)}" }`]) {
      const file = write(`notify:\n  ${section}\n`, 0o640);
      let error: unknown;
      try {
        loadServerConfig(file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GateError);
      expect((error as GateError).message).toMatch(/holds secrets but is readable by others/);
      expect((error as GateError).message).not.toContain(SIG);
      expect((error as GateError).message).not.toContain('s'.repeat(32));
      chmodSync(file, 0o600);
      expect(() => loadServerConfig(file)).not.toThrow();
    }
  });

  it('rejects a workflow with both url and url_env, and a webhook without a secret', () => {
    const file = write(`notify:\n  teams:\n    workflows: { ops: { url: "${NEW_URL}", url_env: X } }\n  webhooks:\n    pager: { url: "https://hooks.example/gate" }\n`, 0o600);
    expect(() => loadServerConfig(file)).toThrow(/notify\.teams\.workflows\.ops[\s\S]*notify\.webhooks\.pager/);
    try {
      loadServerConfig(file);
    } catch (error) {
      expect((error as GateError).message).not.toContain(SIG);
    }
  });
});

describe('policy names of Teams workflows and webhooks', () => {
  const set = (teams: string[], webhook: string[] = []) => ({
    rules: [{ id: 'pg-prod', decision: 'approve' as const, source: { file: 'policy.yaml', line: 7, column: 5 }, approval: { notify: { teams, webhook } } }],
    defaultApproval: { from: [], expiresSeconds: 60, reasonRequired: false, onBehalfMayApprove: false },
  });
  const teams = { workflows: new Map([['ops', NEW_URL]]), defaults: [] };

  it('an unknown name stops the start, naming the rule and the name', () => {
    expect(() => checkNotifyNames(set(['ops', 'opz']), { teams })).toThrow(/rule pg-prod \(policy\.yaml:7\): approval\.notify\.teams names "opz", which is not in the server config's notify\.teams\.workflows/);
    expect(() => checkNotifyNames(set([], ['pager']), { teams, webhooks: { endpoints: new Map(), defaults: [] } })).toThrow(/approval\.notify\.webhook names "pager"/);
    expect(checkNotifyNames(set(['ops']), { teams })).toEqual([]);
  });

  it('a kind that is not configured at all is only a warning', () => {
    expect(checkNotifyNames(set(['ops']), {})).toEqual([expect.stringMatching(/rule pg-prod .* names teams destination "ops" but Teams is not configured/)]);
  });
});
