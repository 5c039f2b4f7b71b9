import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeApprovalServer, type FakeOptions } from '../helpers/fake-approval-server.js';
import { ROOT, runGate, startGate, tempDir, writeFile } from '../helpers/gate.js';

// The built CLI as a real process, against the fake approval service on 127.0.0.1.
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function world(options: FakeOptions) {
  const fake = await FakeApprovalServer.start(options);
  const dir = tempDir('gate-approval-e2e-');
  cleanups.push(() => fake.close(), dir.cleanup);
  const policy = writeFile(
    join(dir.path, 'policy.yaml'),
    `version: 1
defaults: { unmatched: allow }
rules:
  - id: guarded
    decision: approve
    message: Guarded commands need a DBA.
    program: [exit-with, make-marker, read-stdin]
    approval: { from: [{ group: dba, count: 1 }], expires: 1m }
`,
  );
  const env = { GATE_SERVER: fake.url, GATE_TOKEN: 'tok-requester' };
  return { fake, home: dir.path, policy, env };
}

describe('gate -- <cmd> with an approval service (real process)', () => {
  it('approved: the command runs after the claim and its exit code passes through; the outcome is reported', async () => {
    const w = await world({ onCreate: (fake, id) => fake.approve(id, 'alice', 'go ahead') });
    const result = await runGate(['--policy', w.policy, '--', 'exit-with', '7', 'from the command'], { home: w.home, env: w.env });
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout).toBe('from the command');
    expect(result.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ gate: waiting for approval: req_0001 \(0 of 1 approvals from dba\) http:\/\/127\.0\.0\.1:\d+\/requests\/req_0001$/m);
    expect(result.stderr).toContain('approved by alice');
    const request = w.fake.request('req_0001');
    expect(request.status).toBe('executed');
    expect(request.outcome).toMatchObject({ exit_code: 7 });
    expect(request.command.argv).toEqual(['exit-with', '7', 'from the command']);
  });

  it('piped stdin reaches the approved command untouched (gate never reads it)', async () => {
    const w = await world({ onCreate: (fake, id) => fake.approve(id, 'alice') });
    const input = 'line one\nline two\n'.repeat(1000);
    const result = await runGate(['--policy', w.policy, '--', 'read-stdin'], { home: w.home, env: w.env, input, stripFinalNewline: false });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(input);
  });

  it('denied: exits 126 with who denied and the reason verbatim; the command did not run', async () => {
    const reason = 'Not today: the "payments" freeze is on.';
    const w = await world({ onCreate: (fake, id) => fake.deny(id, 'bob', reason) });
    const marker = join(w.home, 'marker');
    const result = await runGate(['--policy', w.policy, '--', 'make-marker', marker], { home: w.home, env: w.env });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain(`gate: denied by bob: ${reason}`);
    expect(result.stderr).toContain('command not run: make-marker');
    expect(existsSync(marker)).toBe(false);
    expect(w.fake.calls.some((c) => c.path.endsWith('/claim'))).toBe(false);
  });

  it('--json: one JSON event per line on stderr', async () => {
    const w = await world({ onCreate: (fake, id) => fake.approve(id, 'alice') });
    const result = await runGate(['--policy', w.policy, '--json', '--', 'exit-with', '0'], { home: w.home, env: w.env });
    expect(result.code, result.stderr).toBe(0);
    const events = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; request_id: string });
    expect(events.map((e) => e.event)).toEqual(['created', 'approval', 'approved', 'executing']);
    expect(events.every((e) => e.request_id === 'req_0001')).toBe(true);
  });

  it('SIGTERM while waiting cancels the request on the server and exits 130', async () => {
    const w = await world({});
    const marker = join(w.home, 'marker');
    const gate = startGate(['--policy', w.policy, '--', 'make-marker', marker], { home: w.home, env: w.env });
    await w.fake.until(() => w.fake.calls.some((c) => c.path.endsWith('/events')), 10_000, 'the event stream');
    gate.kill('SIGTERM');
    const result = await gate.result;
    expect(result.code).toBe(130);
    expect(w.fake.request('req_0001').status).toBe('cancelled');
    expect(existsSync(marker)).toBe(false);
  });

  it('no server configured: exits 125 and says how to configure one', async () => {
    const w = await world({});
    const result = await runGate(['--policy', w.policy, '--', 'exit-with', '0'], { home: w.home });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('gate config set serverUrl http://127.0.0.1:8787');
  });
});
