import type { ApprovalClient } from './client.js';
import { ApprovalError } from './errors.js';
import type { RequestEvent } from './protocol.js';
import { backoffDelay, sleep, type Backoff } from './retry.js';
import { SseParser } from './sse.js';
import { parseRequestEvent } from './wire.js';

export type WatchItem =
  | { readonly kind: 'event'; readonly event: RequestEvent }
  /** The stream dropped (or could not be opened); the next attempt starts after `delayMs`. */
  | { readonly kind: 'reconnecting'; readonly error: ApprovalError; readonly attempt: number; readonly delayMs: number }
  /** A stream is open again after a drop. */
  | { readonly kind: 'reconnected' };

export interface WatchOptions {
  /** Epoch ms: stop reconnecting once a wait would pass it (the caller then asks for the state). */
  readonly until: number;
  readonly signal: AbortSignal;
  readonly lastEventId?: string;
  readonly backoff?: Backoff;
}

/**
 * Follows GET /v1/requests/:id/events for as long as the caller iterates: parses the stream as it
 * arrives, remembers the last event id, and after a drop (connection lost, server restarted, a
 * stall past the heartbeat limit, the stream simply ending) reconnects with Last-Event-ID, with
 * backoff. Permanent failures (4xx other than 429, malformed events) are thrown: never guessed.
 * Ends without an error when `until` leaves no room for another attempt, or when `signal` aborts.
 */
export async function* watchRequest(client: ApprovalClient, id: string, options: WatchOptions): AsyncGenerator<WatchItem, void, undefined> {
  const backoff = options.backoff ?? client.backoff;
  let lastEventId = options.lastEventId;
  let failures = 0;
  let serverRetryMs: number | undefined;
  while (!options.signal.aborted) {
    let error: ApprovalError;
    let stream: Awaited<ReturnType<ApprovalClient['openEvents']>> | undefined;
    try {
      stream = await client.openEvents(id, lastEventId, options.signal);
      if (failures > 0) yield { kind: 'reconnected' };
      const parser = new SseParser(lastEventId);
      const decoder = new TextDecoder();
      for await (const chunk of stream.body) {
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          lastEventId = message.lastEventId;
          let data: unknown;
          try {
            data = JSON.parse(message.data);
          } catch {
            throw new ApprovalError('malformed', `the approval service sent an event that is not JSON (event "${message.event}")`);
          }
          const event = parseRequestEvent(data);
          if (event.request.id !== id) {
            throw new ApprovalError('malformed', `the event stream of ${id} sent an event about another request (${event.request.id})`);
          }
          failures = 0;
          yield { kind: 'event', event };
        }
        serverRetryMs = parser.retryMs ?? serverRetryMs;
      }
      lastEventId = parser.lastEventId;
      error = new ApprovalError('unreachable', 'the approval service closed the event stream');
    } catch (caught) {
      if (options.signal.aborted) return;
      if (!(caught instanceof ApprovalError) || !caught.transient) throw caught;
      error = caught;
    } finally {
      stream?.close();
    }
    failures++;
    const delayMs = error.retryAfterMs ?? Math.max(serverRetryMs ?? 0, backoffDelay(failures, backoff));
    if (client.now() + delayMs >= options.until) return;
    yield { kind: 'reconnecting', error, attempt: failures, delayMs };
    try {
      await sleep(delayMs, options.signal);
    } catch {
      return;
    }
  }
}
