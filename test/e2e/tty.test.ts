import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startGateInPty } from '../helpers/gate.js';
import { MAIN_POLICY, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

// util-linux `script` gives gate a pseudo-terminal as stdin/stdout/stderr and controlling terminal.
const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
const hasScript = probe.status === 0 && /util-linux/.test(probe.stdout + probe.stderr);
const SKIP_REASON = 'util-linux `script` is not installed: cannot run gate under a pseudo-terminal';
if (!hasScript) console.warn(`tty e2e tests skipped: ${SKIP_REASON}`);

describe.skipIf(!hasScript)('under a pseudo-terminal (script -qec)', () => {
  it('the command sees a TTY on stdin, stdout and stderr', async () => {
    const home = temp();
    const gate = startGateInPty(['--', 'is-tty'], { home, timeout: 15_000 });
    const result = await gate.result;
    expect(result.code).toBe(0);
    const line = result.stdout.split(/\r?\n/).find((l) => l.startsWith('{'));
    expect(JSON.parse(line ?? 'null')).toEqual({ stdin: true, stdout: true, stderr: true });
  });

  it('the TTY survives the full CLI path (--policy) too', async () => {
    const home = temp();
    const gate = startGateInPty(['--policy', MAIN_POLICY, '--', 'is-tty'], { home, timeout: 15_000 });
    const result = await gate.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('{"stdin":true,"stdout":true,"stderr":true}');
  });

  it('an interactive read works: the command reads a typed line from the terminal', async () => {
    const home = temp();
    const gate = startGateInPty(['--', 'read-line'], { home, timeout: 15_000 });
    await gate.waitForStdout('prompt> ');
    gate.write('hello tty ✓\n');
    await gate.waitForStdout('got: ');
    gate.endInput();
    const result = await gate.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('got: "hello tty ✓"');
  });

  it('exit codes pass through (script -e reports the command’s code)', async () => {
    const home = temp();
    const result = await startGateInPty(['--', 'exit-with', '42'], { home, timeout: 15_000 }).result;
    expect(result.code).toBe(42);
  });

  it('Ctrl-C from the terminal reaches the command exactly once (gate does not forward it again)', async () => {
    const home = temp();
    const gate = startGateInPty(['--', 'trap-signal'], { home, timeout: 15_000 });
    await gate.waitForStdout('ready');
    gate.write('\u0003');
    await gate.waitForStdout('SIGINT');
    const result = await gate.result;
    gate.endInput();
    const lines = result.stdout.split(/\r?\n/).map((l) => l.replace(/^\^C/, ''));
    expect(lines.filter((l) => l.startsWith('SIG'))).toEqual(['SIGINT']);
    expect(result.code).toBe(102); // trap-signal's own code for SIGINT
  });

  it('a denied command under a TTY exits 126 and prints the reason on the terminal', async () => {
    const home = temp();
    const gate = startGateInPty(['--policy', MAIN_POLICY, '--', 'make-marker', `${home}/denied`], { home, timeout: 15_000 });
    const result = await gate.result;
    expect(result.code).toBe(126);
    expect(result.stdout).toContain('e2e-deny-marker');
  });
});
