import type { ApprovalRecord, ApprovalRequest, Question } from '../approval/protocol.js';

/**
 * What happens while gate waits for a decision, as the views see it. Each update carries the
 * latest snapshot of the request, so every view can show id, status, progress and URL.
 */
export type WaitUpdate =
  | { readonly type: 'created'; readonly request: ApprovalRequest }
  | { readonly type: 'approval'; readonly request: ApprovalRequest; readonly approval: ApprovalRecord }
  | { readonly type: 'question'; readonly request: ApprovalRequest; readonly question: Question }
  | { readonly type: 'answer'; readonly request: ApprovalRequest; readonly question: Question }
  | { readonly type: 'approved' | 'denied' | 'expired' | 'cancelled'; readonly request: ApprovalRequest }
  /** The receipt was verified and claimed: the command starts now. */
  | { readonly type: 'executing'; readonly request: ApprovalRequest }
  | { readonly type: 'reconnecting'; readonly request: ApprovalRequest; readonly reason: string; readonly delayMs: number }
  | { readonly type: 'reconnected'; readonly request: ApprovalRequest }
  /** Waiting failed; nothing runs. */
  | { readonly type: 'error'; readonly request: ApprovalRequest | undefined; readonly code: string; readonly message: string };

export type WaitUpdateType = WaitUpdate['type'];

/** Calls the views may make back into the waiting logic. */
export interface WaitControls {
  /** Sends an answer to an approver's question (POST reply). */
  answer(questionId: string, text: string): Promise<void>;
  /** Cancels the request on the server and stops waiting (gate exits 130). */
  cancel(): void;
}

export interface WaitReporter {
  update(update: WaitUpdate): void;
  /** Ends the view. The terminal view unmounts Ink and turns raw mode off before this resolves. */
  close(): Promise<void>;
}
