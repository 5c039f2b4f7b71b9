import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate, writeFile } from '../helpers/gate.js';
import { INVALID, MAIN_POLICY, E2E_POLICIES, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

describe('exit codes when the command runs', () => {
  it.each([0, 1, 42, 255])("exits with the child's own code %i", async (n) => {
    const home = temp();
    const result = await runGate(['--', 'exit-with', String(n)], { home });
    expect(result).toEqual({ code: n, stdout: '', stderr: '' });
  });

  it.each([
    ['KILL', 9],
    ['TERM', 15],
  ])('exits 128+N when the child is killed by SIG%s', async (signal, n) => {
    const home = temp();
    const result = await runGate(['--', 'kill-self', signal], { home });
    expect(result.code).toBe(128 + n);
    expect(result.stdout).toBe('');
  });
});

describe('exit codes when the command cannot run', () => {
  it('exits 127 for a program that does not exist, naming it', async () => {
    const home = temp();
    const result = await runGate(['--', 'no-such-program-xyz', 'arg'], { home });
    expect(result.code).toBe(127);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no-such-program-xyz');
    expect(result.stderr).toMatch(/not found/);
  });

  it('exits 127 for a missing path with a slash, naming it', async () => {
    const home = temp();
    const result = await runGate(['--', './missing/tool'], { home, cwd: home });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('./missing/tool');
  });

  it('exits 126 for a file without the executable bit', async () => {
    const home = temp();
    const file = writeFile(join(home, 'not-executable'), '#!/bin/sh\necho ran\n');
    chmodSync(file, 0o644);
    const result = await runGate(['--', file], { home });
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/permission denied/i);
  });

  it('exits 126 for a name found on PATH only as a non-executable file', async () => {
    const home = temp();
    const bin = temp();
    chmodSync(writeFile(join(bin, 'plain-file-tool'), '#!/bin/sh\necho ran\n'), 0o644);
    const result = await runGate(['--', 'plain-file-tool'], { home, env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(join(bin, 'plain-file-tool'));
  });

  it('exits 127 for a script whose interpreter is missing (like a shell), naming the script', async () => {
    const home = temp();
    const script = writeFile(join(home, 'bad-interpreter'), '#!/nonexistent/interpreter\necho ran\n');
    chmodSync(script, 0o755);
    const result = await runGate(['--', script], { home });
    expect(result.code).toBe(127);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(script);
  });

  it('exits 126 for a directory', async () => {
    const home = temp();
    const dir = join(home, 'a-directory');
    mkdirSync(dir);
    const result = await runGate(['--', dir], { home });
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(dir);
    expect(result.stderr).toMatch(/is a directory/);
  });
});

describe('policy decisions', () => {
  it('allows a command no rule matches (the marker proves it ran)', async () => {
    const home = temp();
    const marker = join(home, 'allowed-marker');
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'make-marker', marker], { home });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(marker)).toBe(true);
  });

  it('exits 126 on deny with the rule id and message, and runs nothing', async () => {
    const home = temp();
    const marker = join(home, 'denied-marker');
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'make-marker', marker], { home });
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('e2e-deny-marker');
    expect(result.stderr).toContain('main.yaml:7');
    expect(result.stderr).toContain('Markers named "denied" must never be created.');
    expect(result.stderr).toContain('command not run');
    expect(existsSync(marker)).toBe(false);
  });

  it('exits 126 on deny also through the fast path (GATE_POLICY, no gate options)', async () => {
    const home = temp();
    const marker = join(home, 'denied-marker');
    const result = await runGate(['--', 'make-marker', marker], { home, env: { GATE_POLICY: MAIN_POLICY } });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('e2e-deny-marker');
    expect(existsSync(marker)).toBe(false);
  });

  it('exits 125 on approve (no approval service): says approval is required, names the rule, runs nothing', async () => {
    const home = temp();
    const marker = join(home, 'approval-marker');
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/approval required/);
    expect(result.stderr).toContain('e2e-approve-marker');
    expect(result.stderr).toContain('Markers named "approval" need a second pair of eyes.');
    expect(existsSync(marker)).toBe(false);
  });

  it('deny beats approve when both rules match', async () => {
    const home = temp();
    const marker = join(home, 'denied-approval-marker');
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'make-marker', marker], { home });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('e2e-deny-marker');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('invalid policies exit 125 with file:line:column and the field, and run nothing', () => {
  const cases = [
    { file: 'unknown-key.yaml', where: 'unknown-key.yaml:5:5', field: 'rules[0].progam', text: /unknown key "progam".*did you mean "program"/ },
    { file: 'bad-yaml.yaml', where: 'bad-yaml.yaml:4:15', field: 'YAML', text: /Nested mappings/ },
    { file: 'duplicate-key.yaml', where: 'duplicate-key.yaml:6:5', field: 'YAML', text: /unique/ },
    { file: 'bad-regex.yaml', where: 'bad-regex.yaml:6:11', field: 'rules[0].args', text: /invalid pattern.*Unterminated group/ },
    { file: 'duplicate-id.yaml', where: 'duplicate-id.yaml:9:9', field: 'rules[2].id', text: /duplicate rule id "twice".*duplicate-id\.yaml:3\b/ },
    { file: 'failing-example.yaml', where: 'failing-example.yaml:8:9', field: 'rules[0].match[1]', text: /does not match its example "print-argv \/tmp\/x"/ },
  ];

  it.each(cases)('$file', async ({ file, where, field, text }) => {
    const home = temp();
    const marker = join(home, 'marker');
    const result = await runGate(['--policy', join(INVALID, file), '--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('invalid policy');
    expect(result.stderr).toContain(`${where}: ${field}:`);
    expect(result.stderr).toMatch(text);
    expect(existsSync(marker)).toBe(false);
  });

  it('a duplicate id across two files of a directory names both places', async () => {
    const home = temp();
    const marker = join(home, 'marker');
    const result = await runGate(['--policy', join(E2E_POLICIES, 'dup-across'), '--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('b.yaml:6:9: rules[1].id: duplicate rule id "shared-id"');
    expect(result.stderr).toMatch(/a\.yaml:3\b/);
    expect(existsSync(marker)).toBe(false);
  });

  it('reports every problem at once (two invalid files)', async () => {
    const home = temp();
    const result = await runGate(['--policy', join(INVALID, 'unknown-key.yaml'), '--policy', join(INVALID, 'bad-regex.yaml'), '--', 'true'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('unknown-key.yaml:5:5');
    expect(result.stderr).toContain('bad-regex.yaml:6:11');
  });

  it('an invalid policy in GATE_POLICY fails the fast path the same way', async () => {
    const home = temp();
    const marker = join(home, 'marker');
    const result = await runGate(['--', 'make-marker', marker], { home, env: { GATE_POLICY: join(INVALID, 'bad-regex.yaml') } });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('bad-regex.yaml:6:11: rules[0].args:');
    expect(existsSync(marker)).toBe(false);
  });

  it('exits 125 for a missing policy file, naming it', async () => {
    const home = temp();
    const missing = join(home, 'nope', 'missing.yaml');
    const marker = join(home, 'marker');
    const result = await runGate(['--policy', missing, '--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(missing);
    expect(existsSync(marker)).toBe(false);
  });

  it('exits 125 for a policy directory without .yaml files', async () => {
    const home = temp();
    const empty = join(home, 'empty-policies');
    mkdirSync(empty);
    const result = await runGate(['--policy', empty, '--', 'true'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(empty);
  });
});

describe('usage errors exit 125 and run nothing', () => {
  it('gate with no arguments', async () => {
    const home = temp();
    const result = await runGate([], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/no command given/);
  });

  it('gate -- with nothing after it', async () => {
    const home = temp();
    const result = await runGate(['--'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/no command given/);
  });

  it('a command without -- (gate kubectl get pods)', async () => {
    const home = temp();
    const result = await runGate(['kubectl', 'get', 'pods'], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/unknown command "kubectl"/);
    expect(result.stderr).toContain('gate -- kubectl get pods');
  });

  it('a runnable command without -- does not run', async () => {
    const home = temp();
    const marker = join(home, 'marker');
    const result = await runGate(['make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(existsSync(marker)).toBe(false);
  });

  it('an unknown option', async () => {
    const home = temp();
    const marker = join(home, 'marker');
    const result = await runGate(['--bogus', '--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/unknown option '--bogus'/);
    expect(existsSync(marker)).toBe(false);
  });

  it('--policy without its value', async () => {
    const home = temp();
    const result = await runGate(['--policy'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/--policy/);
  });

  it('gate check without a command', async () => {
    const home = temp();
    const result = await runGate(['check'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/no command given/);
  });

  it('--help and --version exit 0', async () => {
    const home = temp();
    const help = await runGate(['--help'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    const version = await runGate(['--version'], { home });
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
