import type { ApprovalRequirementWire } from '../../approval/protocol.js';

export interface ReauthDue {
  /** The rule's window: the sign-in must be at most this old (seconds). */
  readonly windowSeconds: number;
  /** How old the current sign-in is (seconds). */
  readonly ageSeconds: number;
}

/**
 * High-risk rules set `approval.reauth`: approving needs a sign-in within that window. The service
 * enforces it for every channel (lifecycle.ts, `reauth_required`); the page uses this to say so
 * before anyone presses Approve, and to word the sign-in form it answers a refusal with.
 * Returns the window and the sign-in's age when it is too old; undefined when fresh enough.
 */
export function reauthDue(requirement: ApprovalRequirementWire, signedInMs: number, nowMs: number): ReauthDue | undefined {
  const windowSeconds = requirement.reauth_seconds;
  if (windowSeconds === undefined) return undefined;
  const ageSeconds = Math.max(0, Math.floor((nowMs - signedInMs) / 1000));
  return ageSeconds > windowSeconds ? { windowSeconds, ageSeconds } : undefined;
}
