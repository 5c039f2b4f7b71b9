import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateEnv, runGate } from '../helpers/gate.js';
import { FIXTURE_BIN, MAIN_POLICY, decodeArgv, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

const TRICKY_ARGS = [
  'two words',
  '',
  ' leading and trailing spaces ',
  `single ' quote`,
  'double " quote',
  'back\\slash',
  'héllo wörld ✓ 日本語 🚀',
  'line one\nline two',
  'tab\there',
  '\r\u001b[31mescape\u001b[0m',
  '-',
  '-n',
  '--flag=value',
  '--',
  '--help',
  '-V',
  '--policy',
];

describe('argv reaches the command exactly', () => {
  it('through the fast path (gate -- cmd)', async () => {
    const home = temp();
    const result = await runGate(['--', 'print-argv', ...TRICKY_ARGS], { home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(decodeArgv(result.stdout)).toEqual(TRICKY_ARGS);
  });

  it('through the full CLI (gate --policy F -- cmd): options after -- belong to the command', async () => {
    const home = temp();
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'print-argv', ...TRICKY_ARGS], { home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(decodeArgv(result.stdout)).toEqual(TRICKY_ARGS);
  });

  it('a command whose first argument is --help or --version runs (is not gate help)', async () => {
    const home = temp();
    for (const flag of ['--help', '--version', '-h']) {
      const result = await runGate(['--', 'print-argv', flag], { home });
      expect(result).toEqual({ code: 0, stdout: JSON.stringify(flag), stderr: '' });
    }
  });

  it('a program named like a gate subcommand runs the program', async () => {
    const home = temp();
    const bin = temp();
    symlinkSync(join(FIXTURE_BIN, 'print-argv'), join(bin, 'check'));
    const result = await runGate(['--', 'check', 'policy', '--json'], { home, env: { PATH: `${bin}:${gateEnv({ home }).PATH}` } });
    expect(result).toEqual({ code: 0, stdout: '"policy"\n"--json"', stderr: '' });
  });

  it('no shell in between: $VARS, globs, ;, |, `...`, $(...) and redirections stay literal', async () => {
    const home = temp();
    const cwd = temp();
    const words = ['$HOME', '${PATH}', '*', '?', '[a-z]*', '~', ';', 'echo', 'pwned', '|', 'cat', '&&', '`id`', '$(id)', '>', 'out.txt', '2>&1', '#comment'];
    const result = await runGate(['--', 'print-argv', ...words], { home, cwd });
    expect(result.code).toBe(0);
    expect(decodeArgv(result.stdout)).toEqual(words);
    expect(readdirSync(cwd)).toEqual([]); // no redirection created out.txt
  });

  it('a whole shell line as one word is one argument, not a command', async () => {
    const home = temp();
    const result = await runGate(['--', 'print-argv', 'a; exit-with 9'], { home });
    expect(result).toEqual({ code: 0, stdout: '"a; exit-with 9"', stderr: '' });
  });
});

describe('argv[0] is preserved', () => {
  it('as typed: bare name, relative path, absolute path (seen by a binary as process.argv0)', async () => {
    const home = temp();
    const dir = realpathSync(temp());
    symlinkSync(process.execPath, join(dir, 'mynode'));
    const env = { PATH: `${dir}:${gateEnv({ home }).PATH}` };
    const args = ['-p', 'process.argv0'];
    expect(await runGate(['--', 'mynode', ...args], { home, cwd: dir, env })).toEqual({ code: 0, stdout: 'mynode', stderr: '' });
    expect(await runGate(['--', './mynode', ...args], { home, cwd: dir, env })).toEqual({ code: 0, stdout: './mynode', stderr: '' });
    expect(await runGate(['--', join(dir, 'mynode'), ...args], { home, cwd: dir, env })).toEqual({ code: 0, stdout: join(dir, 'mynode'), stderr: '' });
  });

  it('a script sees $0 as a shell would run it: ./script stays relative, a PATH match is the full path', async () => {
    const home = temp();
    // What /bin/sh does, for reference: execve(path-as-typed) for ./x, execve(dir/x) after a PATH search.
    expect(await runGate(['--', './print-dollar0'], { home, cwd: FIXTURE_BIN })).toEqual({ code: 0, stdout: './print-dollar0', stderr: '' });
    expect(await runGate(['--', 'bin/print-dollar0'], { home, cwd: join(FIXTURE_BIN, '..') })).toEqual({ code: 0, stdout: 'bin/print-dollar0', stderr: '' });
    expect(await runGate(['--', 'print-dollar0'], { home })).toEqual({ code: 0, stdout: join(FIXTURE_BIN, 'print-dollar0'), stderr: '' });
  });

  it('/usr/bin/env runs with its own argv and the command it starts gets its argv intact', async () => {
    const home = temp();
    // The shipped policy asks for approval for wrappers like env; this is about transparency.
    const result = await runGate(['--', '/usr/bin/env', 'GREETING=hi there', 'print-context'], { home, env: { GATE_POLICY: MAIN_POLICY } });
    expect(result.code).toBe(0);
    const context = JSON.parse(result.stdout) as { env: Record<string, string>; script: string };
    expect(context.env.GREETING).toBe('hi there');
    expect(context.script).toBe(join(FIXTURE_BIN, 'print-context'));
  });
});

describe('cwd and environment pass through', () => {
  it('the command runs in gate’s working directory', async () => {
    const home = temp();
    const cwd = realpathSync(temp());
    const result = await runGate(['--', 'print-context'], { home, cwd });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { cwd: string }).cwd).toBe(cwd);
  });

  it('the environment is passed exactly: nothing added, nothing removed', async () => {
    const home = temp();
    const env = { ...gateEnv({ home }), GATE_E2E_SPACES: 'a b  c', GATE_E2E_UNICODE: 'ü ✓ 日本', GATE_E2E_EMPTY: '', GATE_E2E_NEWLINE: 'x\ny', GATE_E2E_DOLLAR: '$HOME' };
    const result = await runGate(['--', 'print-context'], { home, env });
    expect(result.code).toBe(0);
    const seen = (JSON.parse(result.stdout) as { env: Record<string, string> }).env;
    expect(seen).toEqual(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
  });
});

describe('stdin passes through', () => {
  it('echoes stdin byte for byte, including a missing final newline', async () => {
    const home = temp();
    const input = 'first line\nsecond ✓ line\n\n  indented\nno newline at the end';
    const result = await runGate(['--', 'read-stdin'], { home, input, stripFinalNewline: false });
    expect(result).toEqual({ code: 0, stdout: input, stderr: '' });
  });

  it('~5 MB of binary input arrives complete (size and sha256), followed by EOF', async () => {
    const home = temp();
    const input = randomBytes(5 * 1024 * 1024 + 7);
    const digest = createHash('sha256').update(input).digest('hex');
    const result = await runGate(['--', 'read-stdin', '--summary'], { home, input, timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${input.length} ${digest}\neof`);
  });

  it('~5 MB echoed back through stdout unchanged', async () => {
    const home = temp();
    const input = 'abcdefghijklmnopqrstuvwxyz0123456789-ü✓\n'.repeat(120_000);
    const result = await runGate(['--', 'read-stdin'], { home, input, stripFinalNewline: false, timeout: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(input.length);
    expect(result.stdout === input).toBe(true);
  });

  it('EOF right away: empty stdin reaches the command as an immediate EOF', async () => {
    const home = temp();
    const empty = await runGate(['--', 'read-stdin', '--summary'], { home, input: '' });
    expect(empty).toEqual({ code: 0, stdout: `0 ${createHash('sha256').digest('hex')}\neof`, stderr: '' });
    const devNull = await runGate(['--', 'read-stdin', '--summary'], { home, stdin: 'ignore' });
    expect(devNull.stdout).toContain('eof');
  });

  it('gate does not read stdin itself, even through the full CLI path', async () => {
    const home = temp();
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'read-stdin'], { home, input: 'all of it\n', stripFinalNewline: false });
    expect(result).toEqual({ code: 0, stdout: 'all of it\n', stderr: '' });
  });
});

describe('output on allow is only the command’s', () => {
  it('stdout and stderr are exactly the child’s, and the exit code is its own', async () => {
    const home = temp();
    const result = await runGate(['--', 'exit-with', '3', 'to stdout', 'to stderr'], { home, stripFinalNewline: false });
    expect(result).toEqual({ code: 3, stdout: 'to stdout\n', stderr: 'to stderr\n' });
  });

  it('with --policy too (the full CLI path adds nothing either)', async () => {
    const home = temp();
    const result = await runGate(['--policy', MAIN_POLICY, '--', 'exit-with', '0', 'out', 'err'], { home, stripFinalNewline: false });
    expect(result).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });
  });
});
