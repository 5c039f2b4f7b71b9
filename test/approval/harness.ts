import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import type { ApprovalInput, FlowEnvironment } from '../../src/approval/flow.js';
import type { Decision } from '../../src/policy/index.js';
import type { WaitControls, WaitReporter, WaitUpdate } from '../../src/ui/updates.js';
import { FakeApprovalServer, type FakeOptions } from '../helpers/fake-approval-server.js';
import { tempDir } from '../helpers/gate.js';
import { compileYaml, decideArgv } from '../helpers/policy.js';

const POLICY = compileYaml(`
version: 1
defaults: { unmatched: allow }
rules:
  - id: db-write
    decision: approve
    message: Production writes need a DBA.
    program: psql
    approval: { from: [{ group: dba, count: 1 }], expires: 1m }
  - id: db-drop
    decision: approve
    program: dropdb
    approval: { from: [{ group: dba, count: 2 }], expires: 1m }
  - id: quick
    decision: approve
    program: quick
    approval: { from: [{ group: dba, count: 1 }], expires: 1s }
  - id: why
    decision: approve
    program: why
    approval: { from: [{ group: dba, count: 1 }], reason_required: true }
`);

export type ApproveDecision = Extract<Decision, { kind: 'approve' }>;

export function approveDecision(argv: readonly string[]): ApproveDecision {
  const decision = decideArgv(POLICY, argv);
  if (decision.kind !== 'approve') throw new Error(`expected approve for ${argv.join(' ')}`);
  return decision;
}

export function approvalInput(argv: readonly string[] = ['psql', '-c', 'delete from users'], options: Partial<ApprovalInput['options']> = {}): ApprovalInput {
  return {
    argv,
    programPath: `/usr/bin/${argv[0]}`,
    cwd: '/srv/app',
    decision: approveDecision(argv),
    policyDigest: 'sha256:test-policy',
    config: {},
    options: { context: [], json: false, ...options },
  };
}

/** A view that records what it was told, and the controls it was handed. */
export interface Recorder extends WaitReporter {
  readonly updates: WaitUpdate[];
  controls: WaitControls | undefined;
  closed: boolean;
  types(): string[];
  waitFor(type: WaitUpdate['type'], timeoutMs?: number): Promise<WaitUpdate>;
}

export function recorder(): Recorder {
  const rec: Recorder = {
    updates: [],
    controls: undefined,
    closed: false,
    update: (u) => void rec.updates.push(u),
    close: async () => {
      rec.closed = true;
    },
    types: () => rec.updates.map((u) => u.type),
    waitFor: async (type, timeoutMs = 5_000) => {
      const started = Date.now();
      for (;;) {
        const found = rec.updates.find((u) => u.type === type);
        if (found) return found;
        if (Date.now() - started > timeoutMs) throw new Error(`no "${type}" update; got ${rec.types().join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  return rec;
}

/** Fast deadlines so failure cases finish in well under a second or two. */
export const FAST_CLIENT: FlowEnvironment['client'] = {
  timeouts: { connectMs: 500, headersMs: 600, bodyMs: 600, attemptMs: 800, streamStallMs: 1_500 },
  backoff: { baseMs: 20, capMs: 100 },
  retryBudgetMs: 1_500,
};

export interface Setup {
  readonly fake: FakeApprovalServer;
  readonly home: string;
  readonly view: Recorder;
  readonly notices: string[];
  env(overrides?: Partial<FlowEnvironment>): Partial<FlowEnvironment>;
}

/** A fake server and a GATE_HOME per test, both gone afterwards. */
export function useSetup(): (options?: FakeOptions) => Promise<Setup> {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return async (options = {}) => {
    const fake = await FakeApprovalServer.start(options);
    const dir = tempDir('gate-approval-');
    cleanups.push(() => fake.close(), dir.cleanup);
    const view = recorder();
    const notices: string[] = [];
    return {
      fake,
      home: dir.path,
      view,
      notices,
      env: (overrides = {}) => ({
        env: { GATE_SERVER: fake.url, GATE_TOKEN: 'tok-requester' },
        home: dir.path,
        host: 'test-host',
        osUser: 'tester',
        gateVersion: '0.0.0-test',
        openReporter: async (controls) => {
          view.controls = controls;
          return view;
        },
        interactive: false,
        promptReason: async () => null,
        notice: (line) => void notices.push(line),
        client: FAST_CLIENT,
        graceMs: 200,
        signals: false,
        ...overrides,
      }),
    };
  };
}

/** A local port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
