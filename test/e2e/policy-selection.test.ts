import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES, runGate } from '../helpers/gate.js';
import { MAIN_POLICY, SELECT, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

interface CheckReport {
  decision: string;
  rules: string[];
  command: string[];
  matches: { rule: string; decision: string; certain: boolean; source: string; message?: string; why: string[] }[];
  policy: { files: string[] };
}

async function check(args: readonly string[], options: Parameters<typeof runGate>[1]): Promise<CheckReport> {
  const result = await runGate(['check', '--json', ...args], options);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as CheckReport;
}

const FLAG = join(SELECT, 'flag.yaml');
const ENV = join(SELECT, 'env.yaml');
const ENV_DENY = join(SELECT, 'env-deny.yaml');
const CONFIG_DIR = join(SELECT, 'config');
const DIR = join(SELECT, 'dir');

describe('where policies come from', () => {
  it('the shipped default when nothing is configured: `ls` is allowed', async () => {
    const home = temp();
    const report = await check(['--', 'ls'], { home });
    expect(report.decision).toBe('allow');
    expect(report.policy.files.length).toBeGreaterThan(0);
    for (const file of report.policy.files) expect(file.startsWith(POLICIES + sep)).toBe(true);
  });

  it('--policy FILE on gate check', async () => {
    const home = temp();
    const report = await check(['--policy', FLAG, '--', 'print-argv', 'x'], { home });
    expect(report.rules).toEqual(['from-flag']);
    expect(report.policy.files).toEqual([FLAG]);
  });

  it('--policy before the check subcommand is not silently ignored either', async () => {
    const home = temp();
    const result = await runGate(['--policy', FLAG, 'check', '--json', '--', 'print-argv'], { home });
    if (result.code === 0) expect((JSON.parse(result.stdout) as CheckReport).rules).toEqual(['from-flag']);
    else expect(result.code).toBe(125); // rejecting it as a usage error is acceptable; ignoring it is not
  });

  it('--policy is repeatable and takes directories (only *.yaml/*.yml, in name order)', async () => {
    const home = temp();
    const report = await check(['--policy', FLAG, '--policy', DIR, '--', 'print-argv', 'needs-approval'], { home });
    expect(report.policy.files).toEqual([FLAG, join(DIR, 'a.yaml'), join(DIR, 'b.yml')]);
    expect(report.decision).toBe('approve');
    expect(report.rules.sort()).toEqual(['from-dir-a', 'from-dir-b', 'from-flag']);
  });

  it('--policy on the run path decides what runs', async () => {
    const home = temp();
    const result = await runGate(['--policy', FLAG, '--policy', DIR, '--', 'print-argv', 'needs-approval'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('from-dir-b');
    expect(result.stdout).toBe('');
  });

  it('GATE_POLICY, a :-separated list (empty entries ignored)', async () => {
    const home = temp();
    const env = { GATE_POLICY: `${ENV}::${ENV_DENY}:` };
    const report = await check(['--', 'print-argv', 'forbidden'], { home, env });
    expect(report.policy.files).toEqual([ENV, ENV_DENY]);
    expect(report.decision).toBe('deny');
    expect(report.rules.sort()).toEqual(['from-env', 'from-env-deny']);
    const run = await runGate(['--', 'print-argv', 'forbidden'], { home, env });
    expect(run.code).toBe(126);
    expect(run.stderr).toContain('denied by the second GATE_POLICY entry');
    expect(run.stdout).toBe('');
  });

  it('gate config set policy DIR, then used by check and by the run path', async () => {
    const home = temp();
    expect((await runGate(['config', 'set', 'policy', CONFIG_DIR], { home })).code).toBe(0);
    const get = await runGate(['config', 'get', 'policy'], { home });
    expect(get).toEqual({ code: 0, stdout: CONFIG_DIR, stderr: '' });
    const report = await check(['--', 'print-argv'], { home });
    expect(report.rules).toEqual(['from-config']);
    expect(report.policy.files).toEqual([join(CONFIG_DIR, 'config.yaml')]);
    const marker = join(home, 'denied-marker');
    expect((await runGate(['config', 'set', 'policy', MAIN_POLICY, CONFIG_DIR], { home })).code).toBe(0);
    const run = await runGate(['--', 'make-marker', marker], { home });
    expect(run.code).toBe(126);
    expect(existsSync(marker)).toBe(false);
  });

  it('gate config set policy with a relative path keeps meaning the same files from any directory', async () => {
    const home = temp();
    const elsewhere = temp();
    expect((await runGate(['config', 'set', 'policy', 'test/fixtures/policies/e2e/select/config'], { home })).code).toBe(0);
    const report = await check(['--', 'print-argv'], { home, cwd: elsewhere });
    expect(report.rules).toEqual(['from-config']);
  });

  it('gate config unset policy goes back to the shipped default', async () => {
    const home = temp();
    expect((await runGate(['config', 'set', 'policy', CONFIG_DIR], { home })).code).toBe(0);
    expect((await runGate(['config', 'unset', 'policy'], { home })).code).toBe(0);
    const report = await check(['--', 'print-argv'], { home });
    for (const file of report.policy.files) expect(file.startsWith(POLICIES + sep)).toBe(true);
  });
});

describe('precedence: --policy, else GATE_POLICY, else config, else shipped', () => {
  it('--policy beats GATE_POLICY and config', async () => {
    const home = temp();
    await runGate(['config', 'set', 'policy', CONFIG_DIR], { home });
    const report = await check(['--policy', FLAG, '--', 'print-argv'], { home, env: { GATE_POLICY: ENV } });
    expect(report.rules).toEqual(['from-flag']);
    expect(report.policy.files).toEqual([FLAG]);
  });

  it('--policy beats GATE_POLICY on the run path (a deny in GATE_POLICY does not apply)', async () => {
    const home = temp();
    const result = await runGate(['--policy', FLAG, '--', 'print-argv', 'forbidden'], { home, env: { GATE_POLICY: ENV_DENY } });
    expect(result).toEqual({ code: 0, stdout: '"forbidden"', stderr: '' });
  });

  it('GATE_POLICY beats config', async () => {
    const home = temp();
    await runGate(['config', 'set', 'policy', CONFIG_DIR], { home });
    const report = await check(['--', 'print-argv'], { home, env: { GATE_POLICY: ENV } });
    expect(report.rules).toEqual(['from-env']);
  });

  it('an empty GATE_POLICY falls through to config', async () => {
    const home = temp();
    await runGate(['config', 'set', 'policy', CONFIG_DIR], { home });
    const report = await check(['--', 'print-argv'], { home, env: { GATE_POLICY: '' } });
    expect(report.rules).toEqual(['from-config']);
  });
});

describe('gate check', () => {
  it('--json has decision, rules and matches[].why, source and message', async () => {
    const home = temp();
    const report = await check(['--policy', MAIN_POLICY, '--', 'make-marker', '/tmp/denied-approval'], { home });
    expect(report.decision).toBe('deny');
    expect(report.command).toEqual(['make-marker', '/tmp/denied-approval']);
    expect(report.rules.sort()).toEqual(['e2e-approve-marker', 'e2e-deny-marker']);
    const deny = report.matches.find((m) => m.rule === 'e2e-deny-marker');
    expect(deny).toMatchObject({ decision: 'deny', certain: true, message: 'Markers named "denied" must never be created.' });
    expect(deny?.source).toMatch(/main\.yaml:7$/);
    expect(Array.isArray(deny?.why)).toBe(true);
    expect(deny?.why.length).toBeGreaterThan(0);
    for (const why of deny?.why ?? []) expect(typeof why).toBe('string');
  });

  it('--json for an unmatched command: allow, no rules, no matches', async () => {
    const home = temp();
    const report = await check(['--policy', MAIN_POLICY, '--', 'make-marker', '/tmp/fine'], { home });
    expect(report).toMatchObject({ decision: 'allow', rules: [], matches: [] });
  });

  it('runs nothing, whatever the decision', async () => {
    const home = temp();
    for (const name of ['fine', 'denied', 'approval']) {
      const marker = join(home, `${name}-marker`);
      const result = await runGate(['check', '--policy', MAIN_POLICY, '--', 'make-marker', marker], { home });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^decision: (allow|deny|approve)$/m);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('the human-readable form names the decision and the rule', async () => {
    const home = temp();
    const result = await runGate(['check', '--policy', MAIN_POLICY, '--', 'make-marker', '/tmp/denied'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^decision: deny$/m);
    expect(result.stdout).toContain('e2e-deny-marker');
  });

  it('an invalid policy makes check exit 125 too', async () => {
    const home = temp();
    const result = await runGate(['check', '--json', '--policy', join(SELECT, '..', 'invalid', 'bad-regex.yaml'), '--', 'ls'], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('bad-regex.yaml:6:11');
  });
});
