import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate, writeFile } from '../helpers/gate.js';
import { MAIN_POLICY, requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

/** Every file and directory under `dir`, relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      out.push(relative(dir, path));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}

describe('gate writes only under GATE_HOME', () => {
  it('HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME, TMPDIR and the cwd stay empty across run, check, config and policy commands', async () => {
    const gateHome = temp('gate-e2e-home-');
    const home = temp('gate-e2e-user-home-');
    const xdgConfig = temp('gate-e2e-xdg-config-');
    const xdgCache = temp('gate-e2e-xdg-cache-');
    const tmp = temp('gate-e2e-tmp-');
    const cwd = temp('gate-e2e-cwd-');
    const env = { HOME: home, XDG_CONFIG_HOME: xdgConfig, XDG_CACHE_HOME: xdgCache, XDG_STATE_HOME: join(home, 'state'), TMPDIR: tmp };
    const options = { home: gateHome, env, cwd };
    const runs = [
      ['--', 'exit-with', '0'],
      ['--policy', MAIN_POLICY, '--', 'exit-with', '0'],
      ['--policy', MAIN_POLICY, '--', 'make-marker', join(gateHome, 'denied')],
      ['--policy', MAIN_POLICY, '--', 'make-marker', join(gateHome, 'approval')],
      ['check', '--json', '--', 'ls'],
      ['config', 'set', 'identity.kind', 'agent'],
      ['config', 'set', 'serverUrl', 'https://gate.example.com'],
      ['config', 'list'],
      ['--', 'exit-with', '0'],
      ['policy', 'validate', MAIN_POLICY],
    ];
    for (const args of runs) {
      const result = await runGate(args, options);
      expect(result.code, `gate ${args.join(' ')}: ${result.stderr}`).toBeLessThan(127);
    }
    for (const dir of [home, xdgConfig, xdgCache, tmp, cwd]) expect(tree(dir), dir).toEqual([]);
    // ...and it did write where it should: the config and the policy cache.
    expect(existsSync(join(gateHome, 'config.json'))).toBe(true);
    expect(readdirSync(join(gateHome, 'cache')).length).toBeGreaterThan(0);
  });

  it('without GATE_HOME, state goes under XDG_CONFIG_HOME/gate and nowhere else', async () => {
    const home = temp('gate-e2e-user-home-');
    const xdgConfig = temp('gate-e2e-xdg-config-');
    const tmp = temp('gate-e2e-tmp-');
    const env = { GATE_HOME: undefined, HOME: home, XDG_CONFIG_HOME: xdgConfig, TMPDIR: tmp };
    expect((await runGate(['config', 'set', 'identity.kind', 'ci'], { home, env })).code).toBe(0);
    expect((await runGate(['--', 'exit-with', '0'], { home, env })).code).toBe(0);
    expect(tree(home)).toEqual([]);
    expect(tree(tmp)).toEqual([]);
    expect(tree(xdgConfig).every((p) => p === 'gate' || p.startsWith('gate/'))).toBe(true);
    expect(existsSync(join(xdgConfig, 'gate', 'config.json'))).toBe(true);
  });
});

describe('the policy cache under GATE_HOME/cache is invalidated by any change', () => {
  const ALLOW = 'version: 1\nrules:\n  - id: flip\n    decision: allow\n    program: make-marker\n';
  const DENY_SAME_SIZE = 'version: 1\nrules:\n  - id: flip\n    decision: deny \n    program: make-marker\n';

  it('an edit flips the decision on the next run', async () => {
    const home = temp();
    const policy = writeFile(join(temp(), 'flip.yaml'), ALLOW);
    const marker = join(home, 'marker');
    expect((await runGate(['--policy', policy, '--', 'make-marker', marker], { home })).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(readdirSync(join(home, 'cache')).length).toBeGreaterThan(0); // the first run filled the cache

    writeFileSync(policy, ALLOW.replace('decision: allow', 'decision: deny\n    message: now denied'));
    const second = join(home, 'marker-2');
    const result = await runGate(['--policy', policy, '--', 'make-marker', second], { home });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('now denied');
    expect(existsSync(second)).toBe(false);
  });

  it('an edit that keeps the size, with the mtime set back, still flips the decision', async () => {
    const home = temp();
    const policy = writeFile(join(temp(), 'flip.yaml'), ALLOW);
    expect(DENY_SAME_SIZE.length).toBe(ALLOW.length);
    const fixedTime = 1_700_000_000; // whole seconds: set back exactly, to the nanosecond
    utimesSync(policy, fixedTime, fixedTime);
    const before = statSync(policy, { bigint: true });
    const first = join(home, 'marker-1');
    expect((await runGate(['--policy', policy, '--', 'make-marker', first], { home })).code).toBe(0);
    expect(existsSync(first)).toBe(true);

    writeFileSync(policy, DENY_SAME_SIZE);
    utimesSync(policy, fixedTime, fixedTime);
    const after = statSync(policy, { bigint: true });
    expect(after.size).toBe(before.size);
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ino).toBe(before.ino);
    const second = join(home, 'marker-2');
    const result = await runGate(['--policy', policy, '--', 'make-marker', second], { home });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('"flip"');
    expect(existsSync(second)).toBe(false);
  });

  it('a file added to a policy directory is picked up', async () => {
    const home = temp();
    const dir = temp();
    copyFileSync(MAIN_POLICY, join(dir, 'a.yaml'));
    const first = join(home, 'plain-1');
    expect((await runGate(['--policy', dir, '--', 'make-marker', first], { home })).code).toBe(0);
    writeFile(join(dir, 'b.yaml'), 'version: 1\nrules:\n  - id: added-later\n    decision: deny\n    program: make-marker\n');
    const second = join(home, 'plain-2');
    const result = await runGate(['--policy', dir, '--', 'make-marker', second], { home });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('added-later');
    expect(existsSync(second)).toBe(false);
  });

  it('a file that becomes invalid fails closed instead of using the cached copy', async () => {
    const home = temp();
    const policy = writeFile(join(temp(), 'p.yaml'), ALLOW);
    expect((await runGate(['--policy', policy, '--', 'exit-with', '0'], { home })).code).toBe(0);
    writeFileSync(policy, `${ALLOW}    progam: typo\n`);
    const result = await runGate(['--policy', policy, '--', 'exit-with', '0'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('p.yaml:6:5');
  });

  it('a corrupt cache entry is ignored, never trusted', async () => {
    const home = temp();
    const policy = writeFile(join(temp(), 'p.yaml'), ALLOW.replace('decision: allow', 'decision: deny '));
    const first = join(home, 'm1');
    expect((await runGate(['--policy', policy, '--', 'make-marker', first], { home })).code).toBe(126);
    for (const name of readdirSync(join(home, 'cache'))) {
      const path = join(home, 'cache', name);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/"deny"/g, '"allow"').slice(0, -10));
    }
    const second = join(home, 'm2');
    expect((await runGate(['--policy', policy, '--', 'make-marker', second], { home })).code).toBe(126);
    expect(existsSync(second)).toBe(false);
  });
});
