import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runGate, tempDir } from '../helpers/gate.js';

// `gate token link` as a real process on a server database: what it prints, and what it refuses.

let home: { path: string; cleanup: () => void };
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  home = tempDir('gate-token-link-');
  for (const [name, kind] of [['alice', 'human'], ['bot', 'agent']]) {
    expect((await runGate(['token', 'create', '--name', name!, '--kind', kind!], { home: home.path })).code).toBe(0);
  }
});
afterAll(() => home.cleanup());

describe('gate token link', () => {
  it('prints one URL under the public URL (else GATE_SERVER), and nothing secret on stderr', async () => {
    const viaFlag = await runGate(['token', 'link', 'alice', '--public-url', 'https://gate.example/base/'], { home: home.path });
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(viaFlag.stdout.trim()).toMatch(/^https:\/\/gate\.example\/base\/signin\/link\/[A-Za-z0-9_-]{43}$/);
    const token = viaFlag.stdout.trim().split('/').at(-1)!;
    expect(viaFlag.stderr).not.toContain(token);
    expect(viaFlag.stderr).toMatch(/one-time sign-in link for alice, valid until \S+; it works once/);
    const viaEnv = await runGate(['token', 'link', 'alice', '--ttl', '1h'], { home: home.path, env: { GATE_SERVER: 'http://10.0.0.5:8787' } });
    expect(viaEnv.stdout.trim()).toMatch(/^http:\/\/10\.0\.0\.5:8787\/signin\/link\//);
  });

  it.each([
    [['bot'], 'bot is an agent principal: only humans sign in to approve'],
    [['nobody'], 'no active principal named nobody'],
    [['alice', '--ttl', '2d'], '--ttl 2d: expected a duration up to 24h'],
    [['alice', '--public-url', 'ftp://x'], 'expected an http or https URL'],
  ])('refuses %j (exit 125)', async (args, message) => {
    const result = await runGate(['token', 'link', ...args], { home: home.path });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});
