import { backoffDelay, type Backoff } from '../../approval/retry.js';
import type { OpenRow, OutboxRow } from '../store/outbox.js';
import type { Delivery, Failure } from './delivery.js';

/**
 * The outbox state machine, pure: which step a row needs next, and the row after that step's
 * result. The dispatcher does the I/O in between and saves every row it gets from here.
 */

export type Step = 'post' | 'find' | 'update' | 'reply' | 'reply-lost' | 'finish' | 'idle';

const FINAL = new Set(['denied', 'expired', 'cancelled', 'executed']);

/** One step at a time: post first, then keep the message current, then the outcome reply, then close. */
export function nextStep(row: OpenRow, can: { update: boolean; reply: boolean; find: boolean }): Step {
  switch (row.state) {
    case 'new':
      return 'post';
    case 'posting':
      return 'find';
    case 'failed':
      return 'finish';
    case 'posted':
      if (can.update && row.rendered_seq < row.last_seq) return 'update';
      // A reply marked as leaving but never confirmed (the server stopped): it may have arrived.
      if (row.reply === 'posting') return 'reply-lost';
      if (can.reply && row.status !== 'pending' && row.reply === 'none') return 'reply';
      return FINAL.has(row.status) ? 'finish' : 'idle';
  }
}

export interface RetryPolicy {
  readonly backoff: Backoff;
  /** Consecutive failures of one step before giving up on it. */
  readonly maxAttempts: number;
}

const MIN_WAIT_MS = 100;

export const DEFAULT_RETRY: RetryPolicy = { backoff: { baseMs: 1_000, capMs: 5 * 60_000 }, maxAttempts: 20 };

export interface Outcome {
  readonly row: OutboxRow;
  /** A line for the server log when something was given up or is worth knowing; no secrets in it. */
  readonly log?: string;
}

interface Clock {
  readonly nowMs: number;
  readonly random: () => number;
}

const reset = { attempts: 0, next_attempt_ms: 0, last_error: undefined } as const;

/** Before a post or a reply leaves: the durable mark that makes an interrupted one detectable. */
export function beforeSend(row: OpenRow, step: 'post' | 'reply', nowMs: number): OutboxRow {
  return step === 'post' ? { ...strip(row), state: 'posting', posting_since_ms: nowMs } : { ...strip(row), reply: 'posting' };
}

/** The row after `step` ended with `result` (the seq that was rendered, for post and update). */
export function afterStep(row: OpenRow, step: Exclude<Step, 'idle' | 'finish' | 'reply-lost'>, result: Delivery<string | undefined | void>, seq: number, clock: Clock, policy: RetryPolicy): Outcome {
  const base = strip(row);
  const where = `${row.destination} ${row.target} for ${row.request_id}`;
  if (result.ok) {
    switch (step) {
      case 'post':
        return { row: { ...base, ...reset, state: 'posted', ref: result.value as string, rendered_seq: seq, posting_since_ms: undefined } };
      case 'find':
        // Found: it was posted after all; render the current state over it. Not found: post it now.
        return result.value === undefined
          ? { row: { ...base, ...reset, state: 'new', posting_since_ms: undefined }, log: `${where}: the interrupted post did not arrive; posting again` }
          : { row: { ...base, ...reset, state: 'posted', ref: result.value, rendered_seq: 0, posting_since_ms: undefined }, log: `${where}: found the message of an interrupted post` };
      case 'update':
        return { row: { ...base, ...reset, rendered_seq: seq } };
      case 'reply':
        return { row: { ...base, ...reset, reply: 'done' } };
    }
  }
  const failure = result.failure;
  const attempts = row.attempts + 1;
  // Never "now": a Retry-After of 0 must not turn the loop into a busy wait.
  const later = (f: Failure): number =>
    clock.nowMs + Math.max(MIN_WAIT_MS, f.kind === 'retry' && f.retryAfterMs !== undefined ? f.retryAfterMs : backoffDelay(attempts, policy.backoff, clock.random));
  const exhausted = failure.kind === 'permanent' || attempts >= policy.maxAttempts;
  const why = failure.kind === 'permanent' ? failure.error : `${failure.error} (gave up after ${attempts} attempts)`;
  switch (step) {
    case 'post':
      if (exhausted) return { row: { ...base, state: 'failed', done: true, attempts, last_error: failure.error }, log: `${where}: not posted: ${why}` };
      // Uncertain: it may be there; stay `posting`, so the next step looks for it before posting again.
      return { row: { ...base, state: failure.kind === 'uncertain' ? 'posting' : 'new', attempts, next_attempt_ms: later(failure), last_error: failure.error } };
    case 'find':
      if (exhausted) {
        return {
          row: { ...base, state: 'failed', done: true, attempts, last_error: failure.error },
          log: `${where}: a post was interrupted and gate cannot tell whether it arrived (${why}); not posting again, to avoid a duplicate`,
        };
      }
      return { row: { ...base, attempts, next_attempt_ms: later(failure), last_error: failure.error } };
    case 'update':
      // An update can be repeated safely, whatever became of the last one.
      if (exhausted) return { row: { ...base, state: 'failed', done: true, attempts, last_error: failure.error }, log: `${where}: message no longer updated: ${why}` };
      return { row: { ...base, attempts, next_attempt_ms: later(failure), last_error: failure.error } };
    case 'reply':
      // A reply that may have arrived is not repeated: a second "approved" in the thread is worse than none.
      if (exhausted || failure.kind === 'uncertain') {
        return { row: { ...base, ...reset, reply: 'failed', last_error: failure.error }, log: `${where}: outcome reply not posted: ${failure.kind === 'uncertain' ? `${failure.error} (may have arrived; not repeated)` : why}` };
      }
      return { row: { ...base, reply: 'none', attempts, next_attempt_ms: later(failure), last_error: failure.error } };
  }
}

/** An OpenRow without the request columns the join added. */
function strip(row: OpenRow): OutboxRow {
  const { last_seq: _seq, status: _status, ...rest } = row;
  return rest;
}
