import { describe, expect, it } from 'vitest';
import { parseShArgs } from '../../src/cli/sh-cmd.js';
import { resolveBash, runShell, shellArgv, shellEnvironment } from '../../src/exec/shell.js';

/** `gate sh -c STRING`: the shapes agents use, and running exactly the analyzed string in bash. */
describe('gate sh arguments', () => {
  it.each([
    [['-c', 'ls'], 'ls'],
    [['-lc', 'ls -la'], 'ls -la'],
    [['-ic', 'echo hi'], 'echo hi'],
    [['-l', '-c', 'make'], 'make'],
    [['-c', '--', '-x'], '-x'],
  ])('%j -> %j', (args, expected) => {
    expect(parseShArgs(args)).toEqual({ ok: true, text: expected });
  });

  it.each([[[]], [['script.sh']], [['-c']], [['-e', '-c', 'ls']], [['-c', 'ls', 'name', 'arg']], [['-c', '-x']]])('rejects %j', (args) => {
    expect(parseShArgs(args).ok).toBe(false);
  });
});

describe('the shell gate runs', () => {
  it('removes startup and trace hooks and exported functions from the environment', () => {
    const env = shellEnvironment({ PATH: '/bin', HOME: '/h', BASH_ENV: 'x', ENV: 'x', SHELLOPTS: 'xtrace', BASHOPTS: 'x', PS4: '$(id)', PROMPT_COMMAND: 'id', CDPATH: '/', GLOBIGNORE: '*', 'BASH_FUNC_ls%%': '() { id; }', IFS: 'x' });
    expect({ ...env }).toEqual({ PATH: '/bin', HOME: '/h' });
    expect(Object.getPrototypeOf(env)).toBeNull();
  });

  it('passes the string after -- with no profile or rc files', () => {
    expect(shellArgv('-x; ls')).toEqual(['bash', '--noprofile', '--norc', '-c', '--', '-x; ls']);
  });

  it('finds bash at an absolute path, ignoring relative PATH entries', () => {
    const bash = resolveBash('.:bin');
    expect(bash).toMatch(/^\/.*\/bash$/);
  });

  it('runs the string with inherited stdio and returns its exit code, without BASH_ENV', async () => {
    const bash = resolveBash(process.env.PATH)!;
    const outcome = await runShell({ text: 'test -z "$BASH_ENV" && exit 7', cwd: process.cwd(), env: { ...process.env, BASH_ENV: '/nonexistent' }, bash });
    expect(outcome).toMatchObject({ kind: 'exited', code: 7 });
  });
});
