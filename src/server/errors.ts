import type { ErrorBody, ErrorCode } from '../approval/protocol.js';

/** The HTTP status each protocol error code travels with, unless a route says otherwise. */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  reason_required: 400,
  unauthenticated: 401,
  reauth_required: 401,
  forbidden: 403,
  self_approval: 403,
  agent_cannot_approve: 403,
  not_an_approver: 403,
  not_found: 404,
  already_decided: 409,
  already_voted: 409,
  already_claimed: 409,
  receipt_expired: 410,
  rate_limited: 429,
  internal: 500,
};

/**
 * A refusal the client is meant to see: a protocol code, an HTTP status and a message that names
 * the field or the rule. Anything that is not an ApiError is a bug and becomes a bare 500.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[code];
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string, status?: number): ApiError => new ApiError('bad_request', message, status);
