import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeApprovalServer } from '../helpers/fake-approval-server.js';
import { FIXTURE_BIN, GATE_BIN, ROOT, shellQuote, tempDir, writeFile } from '../helpers/gate.js';

// gate under a pseudo-terminal (util-linux `script`) with a real size, so the Ink view is used.
const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
const hasScript = probe.status === 0 && /util-linux/.test(probe.stdout + probe.stderr);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function inPty(args: string[]) {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  const fake = await FakeApprovalServer.start();
  const dir = tempDir('gate-approval-tty-');
  cleanups.push(() => fake.close(), dir.cleanup);
  const policy = writeFile(join(dir.path, 'policy.yaml'), 'version: 1\nrules:\n  - id: guarded\n    decision: approve\n    program: [read-line, sleep-forever]\n');
  const command = `stty cols 100 rows 30; exec ${[process.execPath, GATE_BIN, '--policy', policy, '--', ...args].map(shellQuote).join(' ')}`;
  const child = execa('script', ['-qec', command, '/dev/null'], {
    env: { PATH: `${FIXTURE_BIN}:${process.env.PATH ?? ''}`, HOME: dir.path, GATE_HOME: dir.path, GATE_SERVER: fake.url, GATE_TOKEN: 'tok-requester', TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    extendEnv: false,
    stdin: 'pipe',
    reject: false,
    timeout: 20_000,
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const seen = (text: string) => fake.until(() => out.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').includes(text), 10_000, JSON.stringify(text));
  return { fake, child, seen, out: () => out, type: (keys: string) => child.stdin?.write(keys) };
}

describe.skipIf(!hasScript)('approval under a terminal (Ink view)', () => {
  it('answers a question inline, then hands the terminal to the approved command (cooked mode, stdin free)', async () => {
    const t = await inPty(['read-line']);
    const id = await t.fake.nextRequest(10_000);
    await t.seen('Ctrl-C cancels the request');
    const qid = t.fake.ask(id, 'bob', 'Which ticket?');
    await t.seen('answer bob>');
    t.type('OPS-42');
    await t.seen('answer bob> OPS-42');
    t.type('\r');
    await t.fake.until(() => t.fake.request(id).questions.some((q) => q.id === qid && q.answer === 'OPS-42'), 10_000, 'the answer');
    t.fake.approve(id, 'alice');
    await t.seen('prompt> ');
    t.type('typed after approval\r');
    const result = await t.child;
    expect(result.exitCode, t.out()).toBe(0);
    expect(t.out()).toContain('got: "typed after approval"');
    expect(t.out()).toContain('approved and verified: running the command');
  });

  it('Ctrl-C while waiting cancels the request on the server and exits 130', async () => {
    const t = await inPty(['sleep-forever']);
    const id = await t.fake.nextRequest(10_000);
    await t.seen('Ctrl-C cancels the request');
    t.type('\u0003');
    const result = await t.child;
    expect(result.exitCode).toBe(130);
    expect(t.fake.request(id).status).toBe('cancelled');
    expect(t.out()).toContain(`approval request ${id} cancelled`);
  });
});
