import type { ApprovalRequest } from '../../../approval/protocol.js';
import { reminderAt, timeLeft } from '../../reminders/due.js';
import { LIMITS } from './block-kit.js';
import { clip, inline, slackDate } from './text.js';

/**
 * The reminder posted in a request's thread. It mentions nobody: the channel already has the
 * message, and a reminder is a nudge, not a page. Time left counts from now, or from the planned
 * reminder instant if that is later (a clock the message cannot see, e.g. a test's).
 */
export function reminderText(request: ApprovalRequest, nowMs: number): string {
  const from = Math.max(nowMs, reminderAt(request) ?? nowMs);
  return clip(
    `:alarm_clock: Reminder: \`${request.id}\` still needs approval and expires in ${timeLeft(request.expires_at, from)} (${slackDate(request.expires_at)}). ${inline(request.progress)}.`,
    LIMITS.messageText,
  );
}
