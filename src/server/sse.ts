import type { RequestEventType } from '../approval/protocol.js';
import { sseFrame, type EventHub } from './hub.js';
import type { StoredEvent } from './store/store.js';

const encoder = new TextEncoder();
const OPENED = encoder.encode(': connected\n\n');
const HEARTBEAT = encoder.encode(': heartbeat\n\n');
export const HEARTBEAT_MS = 15_000;
/** Frames queued for a reader that does not read; past this the stream is dropped (it may reconnect). */
const MAX_QUEUED = 1000;

/** Event types that end a request's story: after one of these, nothing more will be sent. */
const FINAL_TYPES: ReadonlySet<RequestEventType> = new Set(['denied', 'expired', 'cancelled', 'executed']);

interface Connection {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  unsubscribe: () => void;
  lastSeq: number;
}

/**
 * Every open event stream, with one shared heartbeat timer: per-connection state is a controller,
 * a last-sent seq and an unsubscribe function; there is no timer or poll per connection.
 */
export class StreamRegistry {
  private readonly open = new Set<Connection>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly heartbeatMs = HEARTBEAT_MS) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * A text/event-stream body for one request: replays `replay` (already filtered by Last-Event-ID),
   * then forwards live events from `hub`, and ends after a final event. `done` says the request
   * was already final when the client connected, so nothing more can come.
   */
  stream(hub: EventHub, requestId: string, replay: readonly StoredEvent[], afterSeq: number, done: boolean): ReadableStream<Uint8Array> {
    let connection: Connection | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const conn: Connection = { controller, unsubscribe: () => undefined, lastSeq: afterSeq };
          connection = conn;
          controller.enqueue(OPENED);
          // Subscribing before replaying cannot miss an event: the store is synchronous, so no
          // commit can happen between these lines; the seq check drops any overlap anyway.
          conn.unsubscribe = hub.subscribe(requestId, (event, frame) => this.send(conn, event, frame));
          this.add(conn);
          for (const event of replay) if (!this.send(conn, event, sseFrame(event))) return;
          if (done) this.end(conn);
        },
        cancel: () => {
          if (connection !== undefined) this.drop(connection);
        },
      },
      { highWaterMark: MAX_QUEUED },
    );
  }

  /** Ends every stream (server shutdown); clients reconnect elsewhere with Last-Event-ID. */
  closeAll(): void {
    for (const conn of [...this.open]) this.end(conn);
  }

  /** Sends one event; returns false once the stream has ended. */
  private send(conn: Connection, event: StoredEvent, frame: Uint8Array): boolean {
    if (!this.open.has(conn)) return false;
    if (event.seq <= conn.lastSeq) return true;
    if ((conn.controller.desiredSize ?? 0) <= 0) {
      this.end(conn);
      return false;
    }
    conn.lastSeq = event.seq;
    conn.controller.enqueue(frame);
    if (FINAL_TYPES.has(event.type)) {
      this.end(conn);
      return false;
    }
    return true;
  }

  private add(conn: Connection): void {
    this.open.add(conn);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.beat(), this.heartbeatMs);
      this.timer.unref();
    }
  }

  private beat(): void {
    for (const conn of this.open) {
      try {
        conn.controller.enqueue(HEARTBEAT);
      } catch {
        this.drop(conn);
      }
    }
  }

  private end(conn: Connection): void {
    if (!this.open.has(conn)) return;
    this.drop(conn);
    try {
      conn.controller.close();
    } catch {
      // Already closed or errored by the reader going away.
    }
  }

  private drop(conn: Connection): void {
    conn.unsubscribe();
    this.open.delete(conn);
    if (this.open.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
