import { escalationAt } from '../escalation/escalation.js';
import type { RequestRecord } from '../types.js';
import { reminderAt } from './due.js';

/**
 * The events time alone produces on a pending request: the reminder and the escalation, each at
 * most once. Pure: the caller says which were already recorded (the request's stored events are
 * the durable memory of that, so a restart neither repeats nor loses one).
 */
export type Notice = 'escalated' | 'reminded';

/** Every notice of the request with its instant, in time order (escalation first on a tie). */
function schedule(record: RequestRecord): { type: Notice; at: number }[] {
  const out: { type: Notice; at: number }[] = [];
  const escalation = escalationAt(record);
  if (escalation !== undefined) out.push({ type: 'escalated', at: escalation });
  const reminder = reminderAt(record);
  if (reminder !== undefined) out.push({ type: 'reminded', at: reminder });
  return out.sort((a, b) => a.at - b.at);
}

/** Notices due at `now` and not yet recorded; none once the request is decided or past its expiry. */
export function dueNotices(record: RequestRecord, now: Date, recorded: ReadonlySet<Notice>): Notice[] {
  if (record.status !== 'pending' || now.getTime() >= Date.parse(record.expires_at)) return [];
  return schedule(record)
    .filter((n) => n.at <= now.getTime() && !recorded.has(n.type))
    .map((n) => n.type);
}

/** The instant of the next notice still to record (before expiry), or undefined. */
export function nextNoticeAt(record: RequestRecord, recorded: ReadonlySet<Notice>): number | undefined {
  if (record.status !== 'pending') return undefined;
  const expires = Date.parse(record.expires_at);
  return schedule(record).find((n) => !recorded.has(n.type) && n.at < expires)?.at;
}
