import { EventEmitter } from 'node:events';
import type { ApprovalRequest } from '../../src/approval/protocol.js';

/** A pending request as the server would send it; `over` replaces fields. */
export function pendingRequest(over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req_abc123',
    status: 'pending',
    created_at: '2026-11-21T06:30:00.000Z',
    expires_at: '2026-11-21T06:45:00.000Z',
    requester: { name: 'ci-bot', kind: 'agent', groups: [] },
    command: { argv: ['psql', '-c', 'delete from users'], cwd: '/srv/app', host: 'web-1', program_path: '/usr/bin/psql' },
    command_digest: 'sha256:00',
    context: { os_user: 'deploy', custom: {}, env: {}, gate_version: '0.1.0' },
    requirement: { from: [{ group: 'dba', count: 2 }], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false },
    rules: [{ id: 'db-write', decision: 'approve', source: 'client', message: 'Production writes need a DBA.' }],
    approvals: [],
    questions: [],
    progress: '0 of 2 approvals from dba',
    url: 'http://127.0.0.1:8787/requests/req_abc123',
    ...over,
  };
}

export const AT = '2026-11-21T06:31:00.000Z';

/** Fake terminal output stream: records every write. */
export class FakeTtyOut extends EventEmitter {
  readonly isTTY = true;
  columns = 100;
  rows = 40;
  readonly writes: string[] = [];
  write(data: string): boolean {
    this.writes.push(data);
    return true;
  }
  lastFrame(): string {
    return this.writes.at(-1) ?? '';
  }
  asStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}

/** Fake terminal input: `type` delivers keys the way a TTY in raw mode does. */
export class FakeTtyIn extends EventEmitter {
  isTTY: boolean;
  isRaw = false;
  paused = false;
  private pending: string[] = [];
  constructor(tty = true) {
    super();
    this.isTTY = tty;
  }
  setRawMode(on: boolean): this {
    this.isRaw = on;
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  read(): string | null {
    return this.pending.shift() ?? null;
  }
  type(text: string): void {
    this.pending.push(text);
    this.emit('readable');
  }
  asStream(): NodeJS.ReadStream {
    return this as unknown as NodeJS.ReadStream;
  }
}
