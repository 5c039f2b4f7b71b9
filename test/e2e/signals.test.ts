import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startGate } from '../helpers/gate.js';
import { MAIN_POLICY, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

// gate runs in its own session (detached: setsid), so it has no controlling terminal and a signal
// sent to its pid is one the terminal did not also deliver to the child: gate must forward it.
// (Without this, running the suite from an interactive terminal would change what gate does.)
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const;
const n = (signal: NodeJS.Signals): number => constants.signals[signal];

describe('signals sent to gate reach the command exactly once', () => {
  it.each(FORWARDED)('%s: a trapping child gets it once; gate exits with the child’s code', async (signal) => {
    const home = temp();
    const gate = startGate(['--', 'trap-signal'], { home, detached: true, timeout: 15_000 });
    await gate.waitForStdout('ready\n');
    gate.kill(signal);
    const result = await gate.result;
    expect(result.stdout.split('\n')).toEqual(['ready', signal]);
    expect(result.code).toBe(100 + n(signal)); // trap-signal's own code, not 128+N
    expect(result.stderr).toBe('');
  });

  it('through the full CLI path (--policy) as well', async () => {
    const home = temp();
    const gate = startGate(['--policy', MAIN_POLICY, '--', 'trap-signal'], { home, detached: true, timeout: 15_000 });
    await gate.waitForStdout('ready\n');
    gate.kill('SIGTERM');
    const result = await gate.result;
    expect(result.stdout.split('\n')).toEqual(['ready', 'SIGTERM']);
    expect(result.code).toBe(100 + n('SIGTERM'));
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s: a child that does not trap it dies; gate exits 128+N', async (signal) => {
    const home = temp();
    const gate = startGate(['--', 'sleep-forever'], { home, detached: true, timeout: 15_000 });
    await gate.waitForStdout('ready\n');
    gate.kill(signal);
    const result = await gate.result;
    expect(result.signal).toBeUndefined(); // gate itself exited normally, with a code
    expect(result.code).toBe(128 + n(signal));
    expect(result.stdout).toBe('ready');
    expect(result.stderr).toBe('');
  });

  it('two signals in a row are both forwarded, in order', async () => {
    const home = temp();
    const gate = startGate(['--', 'trap-signal'], { home, detached: true, timeout: 15_000 });
    await gate.waitForStdout('ready\n');
    gate.kill('SIGHUP');
    await gate.waitForStdout('SIGHUP\n'); // then the second, well inside trap-signal's 400 ms window
    gate.kill('SIGTERM');
    const result = await gate.result;
    expect(result.stdout.split('\n')).toEqual(['ready', 'SIGHUP', 'SIGTERM']);
    expect(result.code).toBe(100 + n('SIGHUP'));
  });
});
