import type { RequestStatus } from '../../approval/protocol.js';

/**
 * The notification outbox: one row per (request, destination, target), e.g. (req_…, slack,
 * C0APPROVALS). The row is the durable memory of what was delivered there, so that a restart,
 * a crash or an outage of the destination neither loses a post nor makes a second one.
 *
 *   new ──post──> posting ──ok──> posted ──update / reply──> … ──request final──> done
 *    ^              │ uncertain (timeout, crash): look the message up before posting again
 *    └──definitely not posted (429, ok:false, refused)──┘        permanent error ──> failed (done)
 */
export type OutboxState = 'new' | 'posting' | 'posted' | 'failed';
/** The one-time thread reply with the outcome, tracked like the post itself. */
export type ReplyState = 'none' | 'posting' | 'done' | 'failed';

export interface OutboxKey {
  readonly request_id: string;
  /** The kind of destination: `slack` (later `teams`, `webhook`). */
  readonly destination: string;
  /** Where, as the policy or config names it: a Slack channel id or name. */
  readonly target: string;
}

export interface OutboxRow extends OutboxKey {
  readonly state: OutboxState;
  /** The message's identity at the destination (Slack: JSON {channel, ts}); set once posted. */
  readonly ref?: string;
  /** The request event seq the message shows; less than the request's last seq means an update is due. */
  readonly rendered_seq: number;
  readonly reply: ReplyState;
  /** Consecutive failed attempts of the current step (reset by a success). */
  readonly attempts: number;
  /** Epoch ms before which the row is not tried again (backoff, Retry-After). */
  readonly next_attempt_ms: number;
  /** When the current post was started: where to look for it if its outcome is unknown. */
  readonly posting_since_ms?: number;
  /** The last error code (never a token or a body). */
  readonly last_error?: string;
  /** Nothing more will ever be sent for this row. */
  readonly done: boolean;
}

/** A row with work to do, and the state of its request at the time it was read. */
export interface OpenRow extends OutboxRow {
  readonly last_seq: number;
  readonly status: RequestStatus;
}

export interface Outbox {
  /** Adds a `new` row per target; rows that already exist are left exactly as they are. */
  add(requestId: string, destination: string, targets: readonly string[], at: string): void;
  /** Open rows due at `nowMs` that have something to do (post, look up, update, reply, finish), oldest first. */
  due(nowMs: number, limit: number): OpenRow[];
  /** The earliest next attempt after `nowMs` among open rows, if any. */
  nextAttempt(nowMs: number): number | undefined;
  /** Writes every mutable column of the row (its key is never changed). */
  save(row: OutboxRow): void;
  rows(requestId: string): OutboxRow[];
}
