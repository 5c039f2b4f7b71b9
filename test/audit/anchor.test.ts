import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointList, CheckpointPayload } from '../../src/approval/protocol.js';
import { compareWithService } from '../../src/audit/anchor/compare.js';
import { ANCHOR_INTERVAL_MS, ANCHOR_MAX_BEHIND, ANCHOR_RETRY_MS, anchorDue, anchorIfDue, anchorStateFile, readAnchorState, type AnchorState } from '../../src/audit/anchor/due.js';
import { openHostLog } from '../../src/audit/command-trail.js';
import type { VerifyReport } from '../../src/audit/log/verify.js';
import { loadPolicy } from '../../src/policy/index.js';
import { loadOrCreateServerKey } from '../../src/server/keys.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { createToken } from '../../src/server/tokens.js';
import { requireBuild } from '../e2e/common.js';
import { runGate, tempDir, writeFile } from '../helpers/gate.js';

// Periodic anchoring (anchor.ts) against a real approval service on 127.0.0.1, after real
// records written by the built gate; and the pure parts: when a push is due, and how a log
// compares with the service's checkpoints (anchor-compare.ts).

requireBuild();

const LOG = 'a1b2c3d4e5f60718';
const h = (c: string): string => c.repeat(64);
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(ms).toISOString();

describe('anchorDue (pure)', () => {
  const anchored = (seq: number, hash: string, ms: number): AnchorState => ({
    anchored: { log_id: LOG, seq, hash, at: at(ms), server: 'http://s', received_at: at(ms) },
  });
  it.each([
    ['never anchored', {}, 3, h('a'), T0, true],
    ['another log was anchored last', { anchored: { ...anchored(3, h('a'), T0).anchored!, log_id: 'ffffffffffffffff' } }, 3, h('a'), T0, true],
    ['the same head', anchored(3, h('a'), T0 - 2 * ANCHOR_INTERVAL_MS), 3, h('a'), T0, false],
    ['new records, recently anchored', anchored(3, h('a'), T0 - 1000), 9, h('b'), T0, false],
    ['new records, anchored an interval ago', anchored(3, h('a'), T0 - ANCHOR_INTERVAL_MS), 9, h('b'), T0, true],
    ['more than the allowed records behind', anchored(3, h('a'), T0 - 1000), 3 + ANCHOR_MAX_BEHIND + 1, h('b'), T0, true],
    ['the log went back', anchored(9, h('a'), T0 - 1000), 4, h('b'), T0, true],
    ['the clock jumped back an interval', anchored(3, h('a'), T0 + ANCHOR_INTERVAL_MS), 9, h('b'), T0, true],
    ['a push failed just now', { failed_at: at(T0 - 1000) }, 3, h('a'), T0, false],
    ['a push failed a while ago', { failed_at: at(T0 - ANCHOR_RETRY_MS) }, 3, h('a'), T0, true],
  ] as const)('%s -> %s', (_, state, seq, hash, now, due) => {
    expect(anchorDue(state as AnchorState, LOG, { seq, hash }, now)).toBe(due);
  });
});

describe('compareWithService (pure)', () => {
  const report = (seqs: number): Pick<VerifyReport, 'head' | 'hashes' | 'lines'> => {
    const hashes = new Map<number, string>();
    for (let i = 0; i < seqs; i++) hashes.set(i, h(String(i % 10)));
    return { lines: seqs, hashes, ...(seqs > 0 ? { head: { seq: seqs - 1, hash: hashes.get(seqs - 1)! } } : {}) };
  };
  const cp = (seq: number, hash: string, received = at(T0), extra: Partial<CheckpointPayload> = {}): CheckpointPayload => ({
    type: 'gate.audit.checkpoint', v: 1, log_id: LOG, host: 'web-01', seq, hash, by: 'bot', received_at: received, key_id: 'k', ...extra,
  });
  const codes = (c: ReturnType<typeof compareWithService>): string[] => [...c.problems.map((p) => p.code), ...c.warnings.map((w) => w.code)];

  it('an intact, anchored log has no findings; an unanchored one only a warning', () => {
    expect(codes(compareWithService(report(5), { checkpoints: [cp(2, h('2')), cp(4, h('4'))], otherLogs: [] }))).toEqual([]);
    expect(codes(compareWithService(report(5), { checkpoints: [], otherLogs: [] }))).toEqual(['never_anchored']);
  });

  it('a checkpoint past the end is a cut tail, reported once for the highest', () => {
    const c = compareWithService(report(3), { checkpoints: [cp(2, h('2')), cp(4, h('4')), cp(6, h('6'), at(T0 + 5000))], otherLogs: [] });
    expect(codes(c)).toEqual(['cut_tail']);
    expect(c.problems[0]).toMatchObject({ seq: 6, line: 4 });
    expect(c.problems[0]!.message).toMatch(/saw record 6 \(anchored at 2030-01-01T00:00:05.000Z, reported by bot\) but the log ends at record 2.*1 more checkpoint/);
  });

  it('a different hash at an anchored seq is a rewrite, reported at the first one', () => {
    const c = compareWithService(report(8), { checkpoints: [cp(2, h('2')), cp(5, h('x')), cp(7, h('y'))], otherLogs: [] });
    expect(c.problems.map((p) => [p.code, p.seq])).toEqual([['rewritten', 5]]);
    expect(c.problems[0]!.message).toContain('1 later checkpoint differs too');
  });

  it('conflicts the service flagged and other logs of the host are problems', () => {
    const flagged = cp(3, h('3'), at(T0 + 120_000), { conflict: { kind: 'regressed', seq: 4, hash: h('4'), received_at: at(T0) } });
    const other = { log_id: 'ffffffffffffffff', host: 'web-01', first_received_at: at(T0 - 86_400_000), checkpoints: 12, latest: cp(40, h('z'), at(T0 - 3_600_000), { log_id: 'ffffffffffffffff' }) };
    const c = compareWithService(report(5), { checkpoints: [cp(4, h('4')), flagged], otherLogs: [other] });
    expect(codes(c)).toEqual(['head_conflict', 'other_log']);
    expect(c.problems[0]!.message).toMatch(/bot reported record 3 after record 4 had been anchored/);
    expect(c.problems[1]!.message).toMatch(/also anchored log ffffffffffffffff for host "web-01" \(12 checkpoints .* up to record 40.*\), before this log was first anchored .*wholesale rewrite/);
  });
});

// ---------------------------------------------------------------------------------------------
// anchorIfDue against a real service

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: no-forbidden
    decision: deny
    message: Never.
    program: forbidden-tool
`;

let root: { path: string; cleanup: () => void };
let server: RunningServer;
let token = '';
let policyFile = '';
let n = 0;

beforeAll(async () => {
  root = tempDir('gate-anchor-');
  policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
  const dbPath = join(root.path, 'server', 'gate.db');
  const keyPath = join(root.path, 'server', 'server-key.pem');
  writeFile(join(root.path, 'server', '.keep'), '');
  const store = new SqliteStore(dbPath, { auditKey: loadOrCreateServerKey(keyPath) });
  token = createToken(store, { name: 'bot', kind: 'agent', groups: [] }, new Date().toISOString()).token;
  store.close();
  server = await startServer({ host: '127.0.0.1', port: 0, dbPath, keyPath, policy: await loadPolicy([policyFile], { version: 'test' }), receiptTtlSeconds: 60, version: 'test' });
});
afterAll(async () => {
  await server?.close();
  root?.cleanup();
});

interface Client {
  readonly home: string;
  readonly env: Record<string, string>;
  readonly warnings: string[];
  deny(): Promise<void>;
  /** What run.ts does after a record on a path that did not carry the head: anchorIfDue with the new head. */
  afterRecord(): Promise<void>;
  logId(): string;
  checkpoints(): Promise<CheckpointPayload[]>;
}

function client(serverUrl = server.url): Client {
  const home = join(root.path, `client-${++n}`);
  const env = { GATE_SERVER: serverUrl, GATE_TOKEN: token };
  const warnings: string[] = [];
  const log = () => openHostLog(home, {}, {});
  return {
    home,
    env,
    warnings,
    deny: async () => {
      const result = await runGate(['--', 'forbidden-tool', 'now'], { home, env: { GATE_POLICY: policyFile } });
      expect(result.code, result.stderr).toBe(126);
    },
    afterRecord: async () => {
      const l = log();
      await anchorIfDue(home, {}, env, l.signedHead(l.head()!), (line) => warnings.push(line));
    },
    logId: () => log().logId,
    checkpoints: async () => {
      const res = await fetch(`${server.url}/v1/audit/heads/${log().logId}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as CheckpointList).checkpoints.map((c) => c.payload);
    },
  };
}

/** Moves the remembered anchor time back, as if `ms` had passed. */
function age(home: string, ms: number): void {
  const state = JSON.parse(readFileSync(anchorStateFile(home), 'utf8')) as { anchored?: { at: string }; failed_at?: string };
  if (state.anchored) state.anchored.at = at(Date.parse(state.anchored.at) - ms);
  if (state.failed_at) state.failed_at = at(Date.parse(state.failed_at) - ms);
  writeFileSync(anchorStateFile(home), JSON.stringify(state));
}

describe('anchorIfDue after a policy denial', () => {
  it('anchors the head when due, not again while it is not, and again once the interval has passed', async () => {
    const c = client();
    await c.deny();
    await c.afterRecord();
    const first = await c.checkpoints();
    expect(first.map((p) => [p.seq, p.by, p.conflict])).toEqual([[1, 'bot', undefined]]);
    expect(readAnchorState(c.home).anchored).toMatchObject({ log_id: c.logId(), seq: 1, server: server.url });

    await c.deny();
    await c.afterRecord();
    expect(await c.checkpoints()).toHaveLength(1);

    age(c.home, ANCHOR_INTERVAL_MS);
    await c.deny();
    await c.afterRecord();
    expect((await c.checkpoints()).map((p) => p.seq)).toEqual([1, 3]);
    expect(c.warnings).toEqual([]);
  });

  it('does nothing without a configured service', async () => {
    const c = client();
    await c.deny();
    const l = openHostLog(c.home, {}, {});
    await anchorIfDue(c.home, {}, {}, l.signedHead(l.head()!), (line) => c.warnings.push(line));
    expect(readAnchorState(c.home)).toEqual({});
    expect(c.warnings).toEqual([]);
  });

  it('an unreachable service: one warning per interval, and no new attempt right after a failure', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const c = client(`http://127.0.0.1:${closed}`);
    await c.deny();
    await c.afterRecord();
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/^warning: could not anchor the audit log .*the command is not affected.*connection refused/);
    const failedAt = readAnchorState(c.home).failed_at;
    expect(failedAt).toBeDefined();

    await c.afterRecord(); // within the retry wait: not even tried
    expect(readAnchorState(c.home).failed_at).toBe(failedAt);

    age(c.home, ANCHOR_RETRY_MS); // tried again, failed again, but warned already this interval
    await c.afterRecord();
    expect(readAnchorState(c.home).failed_at).not.toBe(failedAt);
    expect(c.warnings).toHaveLength(1);
  });

  it('a service that never answers costs at most about the deadline', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const c = client(`http://127.0.0.1:${(silent.address() as { port: number }).port}`);
      await c.deny();
      const started = performance.now();
      await c.afterRecord();
      expect(performance.now() - started).toBeLessThan(3000);
      expect(c.warnings[0]).toMatch(/did not confirm the audit log head within 1500 ms|did not answer/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a service presenting another key than the pinned one gets no head, and the user is warned', async () => {
    const c = client();
    await c.deny();
    const other = loadOrCreateServerKey(join(c.home, 'not-the-server.pem'));
    writeFile(join(c.home, 'known-servers.json'), JSON.stringify({ version: 1, servers: { [server.url]: { public_key: other.spki, key_id: other.keyId, pinned_at: at(T0) } } }));
    await c.afterRecord();
    expect(c.warnings[0]).toMatch(/presents key .* but key .* was pinned/);
    expect(await c.checkpoints()).toEqual([]);
    expect(readAnchorState(c.home).anchored).toBeUndefined();
  });
});
