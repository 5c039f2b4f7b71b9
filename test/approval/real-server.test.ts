import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_BIN, ROOT, runGate, startGate, tempDir, writeFile } from '../helpers/gate.js';

// The whole loop with the real pieces: `gate serve`, `gate token`, `gate -- cmd`, `gate approve`.
// The fake server tests pin the client down; this one catches drift between client and server.
let server: ChildProcess | undefined;
let url = '';
const dirs: (() => void)[] = [];
const tokens: Record<string, string> = {};
let serverHome = '';
let policy = '';

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  const dir = tempDir('gate-real-server-');
  dirs.push(dir.cleanup);
  serverHome = dir.path;
  policy = writeFile(
    join(serverHome, 'policy.yaml'),
    'version: 1\ndefaults: { unmatched: allow }\nrules:\n  - id: guarded\n    decision: approve\n    program: exit-with\n    approval: { from: [{ group: dba, count: 1 }], expires: 2m }\n',
  );
  for (const [name, kind, groups] of [['bot', 'agent', ''], ['alice', 'human', 'dba']] as const) {
    const result = await runGate(['token', 'create', '--name', name, '--kind', kind, ...(groups ? ['--groups', groups] : [])], { home: serverHome });
    expect(result.code, result.stderr).toBe(0);
    tokens[name] = result.stdout.trim();
  }
  server = spawn(process.execPath, [GATE_BIN, 'serve', '--listen', '127.0.0.1:0', '--policy', policy], {
    env: { PATH: process.env.PATH, HOME: serverHome, GATE_HOME: serverHome },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let text = '';
    server!.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    server!.on('exit', (code) => reject(new Error(`gate serve exited ${code}: ${text}`)));
  });
});

afterAll(() => {
  server?.kill('SIGKILL');
  for (const cleanup of dirs) cleanup();
});

describe('against the real approval service', () => {
  it('gate -- cmd waits, gate approve approves, the command runs with its exit code', async () => {
    const client = tempDir('gate-real-client-');
    const approver = tempDir('gate-real-approver-');
    dirs.push(client.cleanup, approver.cleanup);
    const gate = startGate(['--policy', policy, '--reason', 'nightly job', '--', 'exit-with', '3', 'ran'], {
      home: client.path,
      env: { GATE_SERVER: url, GATE_TOKEN: tokens.bot },
    });
    const asAlice = { home: approver.path, env: { GATE_SERVER: url, GATE_TOKEN: tokens.alice } };
    let id: string | undefined;
    for (let i = 0; i < 100 && id === undefined; i++) {
      const list = await runGate(['requests', '--json'], asAlice);
      id = (JSON.parse(list.stdout || '{"requests":[]}') as { requests: { id: string }[] }).requests[0]?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).toBeDefined();
    const approved = await runGate(['approve', id!, '--comment', 'ok'], asAlice);
    expect(approved.code, approved.stderr).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe('ran');
    expect(result.stderr).toContain(`waiting for approval: ${id}`);
    const again = await runGate(['approve', id!], asAlice);
    expect(again.code).toBe(1);
  });
});
