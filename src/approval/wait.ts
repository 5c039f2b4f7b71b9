import type { WaitReporter, WaitUpdate } from '../ui/updates.js';
import type { ApprovalClient } from './client.js';
import { watchRequest } from './client-events.js';
import { ApprovalError } from './errors.js';
import type { ApprovalRequest, RequestEvent, RequestStatus } from './protocol.js';

export type WaitResult =
  /** The request left `pending` (approved, denied, expired, cancelled, or claimed elsewhere). */
  | { readonly kind: 'settled'; readonly request: ApprovalRequest }
  /** The expiry (plus grace) passed and the server still says pending, so it is over for us. */
  | { readonly kind: 'timed_out'; readonly request: ApprovalRequest }
  /** The user cancelled; the caller cancels the request on the server. */
  | { readonly kind: 'aborted'; readonly request: ApprovalRequest };

export interface WaitOptions {
  /** Local epoch ms after which gate stops waiting (expiry + grace). */
  readonly until: number;
  readonly signal: AbortSignal;
  readonly reporter: WaitReporter;
}

const settled = (status: RequestStatus): boolean => status !== 'pending';

/**
 * Follows the request's event stream until it leaves `pending`, reporting each change once (events
 * replayed after a reconnect are skipped by sequence number). If the stream cannot say how it
 * ended before the deadline, one last GET decides; losing the server for good is an error.
 */
export async function waitForDecision(client: ApprovalClient, created: ApprovalRequest, options: WaitOptions): Promise<WaitResult> {
  let current = created;
  if (settled(current.status)) return report({ kind: 'settled', request: current }, options.reporter);
  let lastSeq = Number.NEGATIVE_INFINITY;
  let lastError: ApprovalError | undefined;
  // The stream may stay healthy (heartbeats) past the expiry if the server never says "expired".
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), Math.max(0, options.until - client.now()));
  try {
    const watch = watchRequest(client, created.id, { until: options.until, signal: AbortSignal.any([options.signal, deadline.signal]) });
    for await (const item of watch) {
      if (item.kind === 'reconnecting') {
        lastError = item.error;
        options.reporter.update({ type: 'reconnecting', request: current, reason: item.error.message, delayMs: item.delayMs });
        continue;
      }
      if (item.kind === 'reconnected') {
        lastError = undefined;
        options.reporter.update({ type: 'reconnected', request: current });
        continue;
      }
      const { event } = item;
      if (event.seq <= lastSeq) continue;
      lastSeq = event.seq;
      const previous = current;
      current = event.request;
      if (settled(current.status)) return report({ kind: 'settled', request: current }, options.reporter);
      const update = progressUpdate(event, previous);
      if (update !== undefined) options.reporter.update(update);
    }
  } finally {
    clearTimeout(timer);
  }
  if (options.signal.aborted) return { kind: 'aborted', request: current };

  let latest: ApprovalRequest;
  try {
    latest = await client.get(created.id, { deadline: client.now() + 10_000, signal: options.signal });
  } catch (error) {
    if (options.signal.aborted) return { kind: 'aborted', request: current };
    const cause = error instanceof ApprovalError ? error : lastError;
    throw new ApprovalError(cause?.problem ?? 'unreachable', `lost contact with the approval service while waiting for ${created.id}: ${cause?.message ?? String(error)}`, {
      cause: error,
      hint: `nothing was run; the request expires at ${created.expires_at}. Check the server and run the command again`,
    });
  }
  if (settled(latest.status)) return report({ kind: 'settled', request: latest }, options.reporter);
  return report({ kind: 'timed_out', request: latest }, options.reporter);
}

/** Reports the end state (once), except approval, which is reported after the receipt checks out. */
function report(result: WaitResult, reporter: WaitReporter): WaitResult {
  const { request } = result;
  if (result.kind === 'timed_out') reporter.update({ type: 'expired', request });
  else if (request.status === 'denied' || request.status === 'expired' || request.status === 'cancelled') reporter.update({ type: request.status, request });
  return result;
}

/** The update for a non-final event: what is new compared with the previous snapshot. */
function progressUpdate(event: RequestEvent, previous: ApprovalRequest): WaitUpdate | undefined {
  const { request } = event;
  switch (event.type) {
    case 'approval': {
      const seen = new Set(previous.approvals.map((a) => `${a.approver}\u0000${a.at}`));
      const approval = request.approvals.find((a) => !seen.has(`${a.approver}\u0000${a.at}`)) ?? request.approvals.at(-1);
      return approval ? { type: 'approval', request, approval } : undefined;
    }
    case 'question': {
      const seen = new Set(previous.questions.map((q) => q.id));
      const question = request.questions.find((q) => !seen.has(q.id)) ?? request.questions.at(-1);
      return question ? { type: 'question', request, question } : undefined;
    }
    case 'answer': {
      const before = new Map(previous.questions.map((q) => [q.id, q.answer]));
      const question = request.questions.find((q) => q.answer !== undefined && before.get(q.id) === undefined);
      return question ? { type: 'answer', request, question } : undefined;
    }
    default:
      // `created` was reported from the POST reply; final types arrive with a final status.
      return undefined;
  }
}
