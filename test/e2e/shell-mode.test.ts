import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, createToken, gateAs, listRequests, Processes, startGateAs, startServe, type Served } from '../helpers/approval-e2e.js';
import { GATE_BIN, runGate, tempDir, writeFile } from '../helpers/gate.js';
import { requireBuild } from './common.js';

// `gate sh -c TEXT` / `gate-sh -c TEXT` (gate as an agent's SHELL) and shell strings handed to
// `gate -- bash -c`: the text is analyzed as a whole, decided, and run exactly as analyzed.

requireBuild();

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: marker-dba
    decision: approve
    program: make-marker
    approval: { from: [{ group: dba }], expires: 30s }
  - id: no-rm-root
    decision: deny
    message: never the root
    program: rm
    args: ["/"]
`;

const root = tempDir('gate-sh-');
const policy = writeFile(join(root.path, 'policy.yaml'), POLICY);
const processes = new Processes();
const serverProcesses = new Processes();
afterEach(() => processes.killAll());
afterAll(() => {
  processes.killAll();
  serverProcesses.killAll();
  root.cleanup();
});

const home = (name: string): string => {
  const dir = join(root.path, 'homes', name);
  writeFile(join(dir, '.keep'), '');
  return dir;
};

describe('gate sh -c runs exactly the analyzed string, in a clean bash', () => {
  it('allowed text runs, and its exit code passes through', async () => {
    const result = await runGate(['sh', '-c', 'echo "$((6*7))"; exit 3'], { home: home('a'), env: { GATE_POLICY: policy } });
    expect(result).toMatchObject({ code: 3, stdout: '42' });
  });

  it('BASH_ENV, ENV and exported functions cannot inject code', async () => {
    const marker = join(root.path, 'bash-env-ran');
    const evil = writeFile(join(root.path, 'evil.sh'), `touch ${marker}\n`);
    const result = await runGate(['sh', '-c', 'echo hi'], {
      home: home('b'),
      env: { GATE_POLICY: policy, BASH_ENV: evil, ENV: evil, 'BASH_FUNC_echo%%': '() { builtin echo hijacked; }' },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'hi' });
    expect(existsSync(marker)).toBe(false);
  });

  it('the gate-sh executable is the same thing, for SHELL=/path/to/gate-sh', async () => {
    const result = await runGate(['-c', 'echo from-gate-sh'], { home: home('c'), env: { GATE_POLICY: policy }, bin: GATE_BIN.replace(/gate\.js$/, 'gate-sh.js') });
    expect(result).toMatchObject({ code: 0, stdout: 'from-gate-sh' });
  });

  it('a denied part stops the whole string before anything runs', async () => {
    const marker = join(root.path, 'first-part-ran');
    const result = await runGate(['sh', '-c', `touch ${marker}; r\\m -r -f /`], { home: home('d'), env: { GATE_POLICY: policy } });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('no-rm-root');
    expect(existsSync(marker)).toBe(false);
  });

  it('unsupported shapes are usage errors (125)', async () => {
    expect((await runGate(['sh', 'script.sh'], { home: home('e'), env: { GATE_POLICY: policy } })).code).toBe(125);
    expect((await runGate(['sh', '-c'], { home: home('e'), env: { GATE_POLICY: policy } })).code).toBe(125);
  });

  it('gate -- bash -c analyzes the inner string too', async () => {
    const result = await runGate(['--', 'bash', '-c', 'echo ok && rm -rf /'], { home: home('f'), env: { GATE_POLICY: policy } });
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('no-rm-root');
  });

  it('gate check -c lists the signal and its position', async () => {
    const result = await runGate(['check', '--json', '-c', 'echo cm0gLXJmIC8K | base64 -d | sh'], { home: home('g'), env: { GATE_POLICY: policy } });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { decision: string; signals: { name: string; line: number; column: number; text: string }[] };
    expect(report.decision).toBe('approve');
    expect(report.signals).toContainEqual(expect.objectContaining({ name: 'code-piped-into-shell', line: 1, column: 33, text: 'sh' }));
  });
});

describe('gate sh -c through the approval service', () => {
  let server: Served;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const serverHome = home('server');
    const db = join(serverHome, 'gate.db');
    tokens.bot = await createToken(serverHome, db, 'bot', 'agent');
    tokens.alice = await createToken(serverHome, db, 'alice', 'human', ['dba']);
    server = await startServe({ home: serverHome, db, policy }, serverProcesses);
  });

  it('the whole string is requested, shown with its text, approved, and run once', async () => {
    const marker = join(root.path, 'sh-approved.marker');
    const text = `echo before && make-marker ${marker}`;
    const bot = { home: home('bot'), url: server.url, token: tokens.bot, env: { GATE_POLICY: policy, GATE_REASON: 'e2e' } };
    const alice = { home: home('alice'), url: server.url, token: tokens.alice, env: { GATE_POLICY: policy } };
    const gate = startGateAs(bot, ['sh', '-c', text], processes);
    const id = await gate.requestId();
    const [pending] = (await listRequests(alice)).filter((r) => r.id === id);
    expect(pending?.command.shell_text).toBe(text);
    expect(pending?.rules.map((r) => r.id)).toContain('marker-dba');
    // The approver sees which part of the string asked for approval.
    expect(pending?.rules.find((r) => r.id === 'marker-dba')?.parts).toEqual([`make-marker ${marker}`]);
    expect((await gateAs(alice, ['requests'])).stdout).toContain(`marker-dba (approve): make-marker ${marker}`);
    expect(pending?.context.reason).toBe('e2e');
    expect((await gateAs(alice, ['approve', id])).code).toBe(0);
    const result = await gate.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('before');
    expect(existsSync(marker)).toBe(true);
    const done = await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot!);
    expect(done.body.status).toBe('executed');
  });
});
