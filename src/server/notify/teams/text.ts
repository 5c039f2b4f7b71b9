import type { ApprovalRequest, CommandSpec } from '../../../approval/protocol.js';
import { displayCommand, sanitize } from '../../../display.js';

/** Plain-text helpers for cards: values are shown verbatim (TextRun), so only control characters need care. */

/** The command as approvers must read it: the exact shell text for `gate sh -c`, else the quoted argv. */
export const commandText = (command: CommandSpec): string => command.shell_text ?? displayCommand(command.argv);

/** Line breaks kept (a script's lines matter); every other control or bidi character made visible. */
export const visible = (text: string): string => text.split('\n').map(sanitize).join('\n');

/** One line: a value cannot start a new line that looks like another field. */
export const oneLine = (text: string, max: number): string => clip(sanitize(text.replace(/\s+/g, ' ').trim()), max);

/** At most `max` UTF-16 units, never splitting a surrogate pair, with `…` when shortened. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1]!)) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** `2026-11-21 12:55 UTC`: cards have no reader time zone to format for. */
export function utc(iso: string | undefined): string {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '–';
}

/** Who decided and how it ended, in one sentence; undefined while pending. */
export function outcomeSentence(r: ApprovalRequest): string | undefined {
  const names = r.approvals.map((a) => oneLine(a.approver, 200)).join(', ');
  const at = r.decided_at !== undefined ? ` at ${utc(r.decided_at)}` : '';
  switch (r.status) {
    case 'pending':
      return undefined;
    case 'approved':
      return `Approved by ${names}${at}. Waiting for the requester to run it.`;
    case 'executing':
      return `Approved by ${names}${at}. The command is running.`;
    case 'executed': {
      const o = r.outcome;
      const how = o === undefined ? '' : o.signal !== undefined ? ` It ended by signal ${oneLine(o.signal, 40)}.` : ` It exited with code ${o.exit_code}.`;
      return `Approved by ${names}${at}.${how}`;
    }
    case 'denied': {
      const d = r.denial;
      if (d === undefined) return `Denied${at}.`;
      return `Denied ${d.by_policy ? 'by policy' : `by ${oneLine(d.by, 200)}`} at ${utc(d.at)}: ${clip(visible(d.reason), 2000)}`;
    }
    case 'expired':
      return r.receipt !== undefined
        ? `Expired: approved by ${names}, but not used before ${utc(r.receipt.payload.not_after)}.`
        : `Expired${at} without a decision (${oneLine(r.progress, 300)}).`;
    case 'cancelled':
      return `Cancelled by the requester${at}.`;
  }
}
