import type { StoredEvent } from '../store/store.js';

/**
 * What the approval service tells notification channels: the events of each state change, after
 * it committed (never inside the transaction, so nothing slow or failing can hold or roll back a
 * decision). A notifier must return at once and never throw; its own work is asynchronous.
 */
export interface Notifier {
  committed(events: readonly StoredEvent[]): void;
  /** Picks up what an earlier run left unfinished, then works as events arrive. */
  start(): void;
  /** Stops starting new work and waits for the attempt in flight. */
  stop(): Promise<void>;
}
