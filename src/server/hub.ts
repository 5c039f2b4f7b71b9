import type { StoredEvent } from './store/store.js';

export type Listener = (event: StoredEvent, frame: Uint8Array) => void;

const encoder = new TextEncoder();

/** One SSE message; `data` is single-line JSON, so it needs no splitting across `data:` lines. */
export function sseFrame(event: StoredEvent): Uint8Array {
  return encoder.encode(`id: ${event.seq}\nevent: ${event.type}\ndata: ${event.data}\n\n`);
}

/**
 * In-process fan-out of committed events to open streams, keyed by request id. Each event is
 * encoded once and the same bytes go to every subscriber, so 2,000 watchers cost one encode.
 * Events are published only after their transaction committed: nobody sees a rolled-back state.
 */
export class EventHub {
  private readonly topics = new Map<string, Set<Listener>>();
  private readonly taps = new Set<(events: readonly StoredEvent[]) => void>();

  /** Every published batch (one committed transition), e.g. for notifications; returns the unsubscribe. */
  tap(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  subscribe(requestId: string, listener: Listener): () => void {
    let set = this.topics.get(requestId);
    if (set === undefined) this.topics.set(requestId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.topics.get(requestId) === set) this.topics.delete(requestId);
    };
  }

  publish(events: readonly StoredEvent[]): void {
    for (const event of events) {
      const set = this.topics.get(event.request_id);
      if (set === undefined) continue;
      const frame = sseFrame(event);
      // Copy: a listener that ends its stream unsubscribes while we iterate.
      for (const listener of [...set]) listener(event, frame);
    }
    // After the streams: waiting clients hear first; taps queue their own (slower) work.
    if (events.length > 0) for (const tap of this.taps) tap(events);
  }

  subscribers(requestId: string): number {
    return this.topics.get(requestId)?.size ?? 0;
  }
}
