import { GateError } from '../errors.js';
import type { ErrorCode } from './protocol.js';
import type { ReceiptProblem } from './receipt.js';

/**
 * Why talking to the approval service did not produce a usable answer. Every one of them means
 * "do not run": the command path turns an ApprovalError into exit 125.
 */
export type ApprovalProblem =
  /** No server URL or no token configured. */
  | 'not_configured'
  /** Connection refused, reset, DNS failure, or the connection dropped. */
  | 'unreachable'
  /** Connect, headers or body deadline passed. */
  | 'timeout'
  /** The server answered with an HTTP error; see `status` and `serverCode`. */
  | 'http'
  /** The reply was not what the protocol promises (bad JSON, missing fields, wrong request). */
  | 'malformed'
  /** The server's key is not the pinned one. */
  | 'pin_mismatch'
  /** The approval receipt failed verification; see `receiptProblem`. */
  | 'receipt'
  /** The server refused to let us claim the receipt, or someone else claimed it. */
  | 'claim_refused'
  /** A rule requires a reason and none could be obtained. */
  | 'reason_required'
  /** Bad --context pairs. */
  | 'bad_context';

export interface ApprovalErrorDetails {
  readonly hint?: string;
  readonly cause?: unknown;
  readonly status?: number;
  readonly serverCode?: ErrorCode;
  /** The server's own words from an HTTP error body. */
  readonly serverMessage?: string;
  readonly receiptProblem?: ReceiptProblem;
  /** Server-requested wait before a retry (429 Retry-After), in ms. */
  readonly retryAfterMs?: number;
}

export class ApprovalError extends GateError {
  override readonly name = 'ApprovalError';
  readonly problem: ApprovalProblem;
  readonly status: number | undefined;
  readonly serverCode: ErrorCode | undefined;
  readonly serverMessage: string | undefined;
  readonly receiptProblem: ReceiptProblem | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(problem: ApprovalProblem, message: string, details: ApprovalErrorDetails = {}) {
    super(problem === 'reason_required' || problem === 'bad_context' ? 'USAGE' : 'APPROVAL_UNAVAILABLE', message, {
      ...(details.hint !== undefined ? { hint: details.hint } : {}),
      ...(details.cause !== undefined ? { cause: details.cause } : {}),
    });
    this.problem = problem;
    this.status = details.status;
    this.serverCode = details.serverCode;
    this.serverMessage = details.serverMessage;
    this.receiptProblem = details.receiptProblem;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Transient failures worth another attempt: the network, timeouts, 429 and 502/503/504. */
  get transient(): boolean {
    if (this.problem === 'unreachable' || this.problem === 'timeout') return true;
    return this.problem === 'http' && (this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504);
  }
}
