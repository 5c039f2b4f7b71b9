import type { ApprovalRequirementWire } from '../../approval/protocol.js';

/**
 * When a pending request's channels are reminded that it expires soon. Pure: the instant follows
 * from the stored request alone, so the service's timer finds it again after a restart.
 */

/** The default lead: 20% of the lifetime or 5 minutes before expiry, whichever comes later. */
const DEFAULT_SHARE = 0.2;
const DEFAULT_CAP_MS = 5 * 60_000;
/** Below this the default lead is noise (a request of under 5 minutes); an explicit lead still counts. */
const DEFAULT_MIN_MS = 60_000;

interface Remindable {
  readonly created_at: string;
  readonly expires_at: string;
  readonly requirement: ApprovalRequirementWire;
}

/**
 * Epoch ms of the one reminder, or undefined when there is none: turned off (0), a lead as long
 * as the lifetime (the announcement itself is then the reminder), or a default lead under a minute.
 */
export function reminderAt(request: Remindable): number | undefined {
  const created = Date.parse(request.created_at);
  const expires = Date.parse(request.expires_at);
  const lifetime = expires - created;
  const lead = request.requirement.remind_before_seconds;
  if (lead === 0 || !(lifetime > 0)) return undefined;
  const leadMs = lead === undefined ? Math.min(lifetime * DEFAULT_SHARE, DEFAULT_CAP_MS) : lead * 1000;
  if (leadMs >= lifetime || (lead === undefined && leadMs < DEFAULT_MIN_MS)) return undefined;
  return Math.round(expires - leadMs);
}

/** "4m 30s": how long is left, for a reminder's text (never negative). */
export function timeLeft(expiresAt: string, nowMs: number): string {
  const seconds = Math.max(0, Math.round((Date.parse(expiresAt) - nowMs) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}
