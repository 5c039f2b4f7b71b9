import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate, writeFile } from '../helpers/gate.js';
import { requireBuild, useTempDirs } from './common.js';

requireBuild();
const temp = useTempDirs();

describe('gate config', () => {
  it('set serverUrl rejects a non-URL with 125 and stores nothing', async () => {
    const home = temp();
    const result = await runGate(['config', 'set', 'serverUrl', 'notaurl'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/serverUrl must be an http\(s\) URL/);
    expect(result.stderr).toContain('notaurl');
    expect(existsSync(join(home, 'config.json'))).toBe(false);
  });

  it('set serverUrl rejects a non-http URL', async () => {
    const home = temp();
    expect((await runGate(['config', 'set', 'serverUrl', 'ftp://example.com'], { home })).code).toBe(125);
  });

  it('set serverUrl accepts an https URL and get reads it back', async () => {
    const home = temp();
    expect((await runGate(['config', 'set', 'serverUrl', 'https://gate.example.com'], { home })).code).toBe(0);
    expect(await runGate(['config', 'get', 'serverUrl'], { home })).toEqual({ code: 0, stdout: 'https://gate.example.com', stderr: '' });
  });

  it('identity.kind must be human, agent or ci', async () => {
    const home = temp();
    const bad = await runGate(['config', 'set', 'identity.kind', 'robot'], { home });
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/identity\.kind must be human, agent or ci/);
    expect(existsSync(join(home, 'config.json'))).toBe(false);
    expect((await runGate(['config', 'set', 'identity.kind', 'ci'], { home })).code).toBe(0);
    expect(await runGate(['config', 'get', 'identity.kind'], { home })).toEqual({ code: 0, stdout: 'ci', stderr: '' });
  });

  it('identity.kind set in config is the requester gate reports', async () => {
    const home = temp();
    expect((await runGate(['config', 'set', 'identity.kind', 'agent'], { home })).code).toBe(0);
    const result = await runGate(['check', '--json', '--', 'ls'], { home });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { requester: string }).requester).toBe('agent');
  });

  it('an unknown key is a usage error (125)', async () => {
    const home = temp();
    const result = await runGate(['config', 'set', 'serverurl', 'https://x.example'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/unknown config key "serverurl"/);
  });

  it('get of an unset key exits 1 with no output', async () => {
    const home = temp();
    expect(await runGate(['config', 'get', 'serverUrl'], { home })).toEqual({ code: 1, stdout: '', stderr: '' });
  });

  it('config list prints the file location and valid JSON', async () => {
    const home = temp();
    await runGate(['config', 'set', 'identity.name', 'alice'], { home });
    const result = await runGate(['config', 'list'], { home });
    expect(result.code).toBe(0);
    const [header, ...rest] = result.stdout.split('\n');
    expect(header).toBe(`# ${join(home, 'config.json')}`);
    expect(JSON.parse(rest.join('\n'))).toEqual({ identity: { name: 'alice' } });
  });
});

describe('a corrupt config.json fails closed (125), naming the file', () => {
  const cases = [
    { what: 'not JSON', text: '{"policy": [' },
    { what: 'wrong type', text: '{"policy": "not-a-list"}' },
    { what: 'bad identity.kind', text: '{"identity": {"kind": "robot"}}' },
    { what: 'not an object', text: '[1, 2]' },
  ];

  it.each(cases)('$what: the command does not run', async ({ text }) => {
    const home = temp();
    const file = writeFile(join(home, 'config.json'), text);
    const marker = join(home, 'marker');
    const result = await runGate(['--', 'make-marker', marker], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(file);
    expect(existsSync(marker)).toBe(false);
  });

  it('gate check fails the same way', async () => {
    const home = temp();
    const file = writeFile(join(home, 'config.json'), '{oops');
    const result = await runGate(['check', '--json', '--', 'ls'], { home });
    expect(result.code).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(file);
  });

  it('config set does not silently overwrite a corrupt file', async () => {
    const home = temp();
    const file = writeFile(join(home, 'config.json'), '{oops');
    const result = await runGate(['config', 'set', 'identity.kind', 'human'], { home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('{oops');
  });
});
