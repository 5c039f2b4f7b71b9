import type { ApprovalRequest, ApprovalRequirementWire } from '../../approval/protocol.js';

/**
 * What a destination (Slack, later Teams and webhooks) tells the dispatcher about one attempt.
 * The three failure kinds are what decides between retrying and a duplicate:
 *  - retry: it definitely did not happen (429, `ratelimited`, connection refused): try again later;
 *  - uncertain: it may have happened (timeout, connection reset, 5xx, `internal_error`): an
 *    update can simply be sent again, a post must first be looked for;
 *  - permanent: it will never work as asked (`channel_not_found`, `invalid_auth`, ...): give up.
 */
export type Failure =
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'uncertain'; readonly error: string }
  | { readonly kind: 'permanent'; readonly error: string };

export type Delivery<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: Failure };

/** The request as of one event: what a message shows, and the seq it is up to date with. */
export interface Snapshot {
  readonly seq: number;
  readonly request: ApprovalRequest;
}

/** One kind of destination. Only `post` is required; a webhook that cannot edit has no `update`. */
export interface Destination {
  /** `slack`: the outbox's `destination` column. */
  readonly name: string;
  /** Where a new request goes: from the policy's `notify` (the server's), else the configured defaults. */
  targets(requirement: ApprovalRequirementWire): readonly string[];
  /** Posts the message; its value is the message's reference there (e.g. Slack channel + ts). */
  post(target: string, snapshot: Snapshot, sinceMs: number): Promise<Delivery<string>>;
  /** After an uncertain post: the reference of the message if it was posted after `sinceMs`, or undefined. */
  find?(target: string, requestId: string, sinceMs: number): Promise<Delivery<string | undefined>>;
  /** Replaces the posted message with the snapshot's state. */
  update?(ref: string, snapshot: Snapshot): Promise<Delivery<void>>;
  /** Tells the outcome once the request is decided (Slack: a reply in the message's thread). */
  reply?(ref: string, snapshot: Snapshot): Promise<Delivery<void>>;
  /**
   * Reminds the channel of the posted message `ref` that the still pending request expires soon
   * (Slack: a reply in the thread). Called at most once per request and target, only while the
   * request is pending, after the message was posted. It should mention nobody (it is a nudge,
   * not a page) and say how long is left (from `snapshot.request.expires_at`) and the progress
   * (`snapshot.request.progress`). The message itself is kept current through `update` as usual.
   * A destination without it sends no reminders. An `uncertain` result is not repeated.
   */
  remind?(ref: string, snapshot: Snapshot): Promise<Delivery<void>>;
}
