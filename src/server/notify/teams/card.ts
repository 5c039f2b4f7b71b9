import type { ApprovalRequest, RequestStatus } from '../../../approval/protocol.js';
import { timeLeft } from '../../reminders/due.js';
import { byteSize, envelope, labelled, MAX_MESSAGE_BYTES, run, type Element, type OpenUrl, type RichTextBlock, type TextBlock, type WorkflowMessage } from './adaptive.js';
import { clip, commandText, oneLine, outcomeSentence, utc, visible } from './text.js';

/**
 * The Teams cards, built from the request's wire snapshot and nothing else (pure). The buttons
 * are links to the request's web page, where the approver signs in and decides with a POST:
 * a Workflows card cannot carry anything else, and a link scanner that opens them decides nothing.
 */

/** Headroom under Teams' 28 KB for the flow's own wrapping of the card. */
export const CARD_BUDGET_BYTES = MAX_MESSAGE_BYTES - 1024;
/** A longer command is never shown whole anyway; starting here keeps the fitting loop short. */
const MAX_COMMAND_CHARS = 20_000;

export interface RequestCard {
  readonly message: WorkflowMessage;
  /** Characters of the command shown, and in total. */
  readonly shown: number;
  readonly total: number;
}

/** The announcement of a new request: the full context and links to review, approve or deny it. */
export function requestCard(r: ApprovalRequest): RequestCard {
  const command = [...visible(commandText(r.command))];
  const context = contextLines(r);
  const actions = reviewLinks(r.url);
  // Cut the command until the whole message fits: drop characters from the end worth the overshoot
  // in JSON bytes (a char costs 1-6); the truncation note's own bytes may take one more round.
  let shown = Math.min(command.length, MAX_COMMAND_CHARS);
  for (;;) {
    const message = envelope(requestBody(r, command, shown, context), actions);
    let over = byteSize(message) - CARD_BUDGET_BYTES;
    if (over <= 0 || shown === 0) return { message, shown, total: command.length };
    while (over > 0 && shown > 0) {
      shown -= 1;
      over -= Buffer.byteLength(JSON.stringify(command[shown]), 'utf8') - 2;
    }
  }
}

/** The follow-up when the request is decided: a webhook card cannot be edited, so a second card says how it ended. */
export function outcomeCard(r: ApprovalRequest): WorkflowMessage {
  const body: Element[] = [
    title(HEADLINE[r.status], r.status),
    { type: 'RichTextBlock', inlines: [run(oneLine(commandText(r.command), 300), { fontType: 'Monospace' })] },
    rich(outcomeSentence(r) ?? `Request ${r.id} is ${r.status}.`),
    labelled('Requester', `${oneLine(r.requester.name, 200)} (${r.requester.kind})`),
    labelled('Host', oneLine(r.command.host, 200)),
    labelled('Request', oneLine(r.id, 100)),
  ];
  const link = pageLink(r.url, false);
  return envelope(body, link === undefined ? [] : [{ type: 'Action.OpenUrl', title: 'Open in gate', url: link }]);
}

/** The nudge before expiry: short, mentions nobody, says how long is left and how far it got. */
export function reminderCard(r: ApprovalRequest, nowMs: number): WorkflowMessage {
  const body: Element[] = [
    title('Reminder: a privileged command still needs approval', 'pending'),
    { type: 'RichTextBlock', inlines: [run(oneLine(commandText(r.command), 300), { fontType: 'Monospace' })] },
    labelled('Expires', `${utc(r.expires_at)} (${timeLeft(r.expires_at, nowMs)} left)`),
    labelled('Approvals', oneLine(r.progress, 300)),
    labelled('Request', oneLine(r.id, 100)),
  ];
  return envelope(body, reviewLinks(r.url));
}

const HEADLINE: Readonly<Record<RequestStatus, string>> = {
  pending: 'Privileged command needs approval',
  approved: 'Approved',
  executing: 'Approved, running',
  executed: 'Executed',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

function requestBody(r: ApprovalRequest, command: readonly string[], shown: number, context: readonly Element[]): Element[] {
  const body: Element[] = [
    title(HEADLINE.pending, 'pending'),
    { type: 'RichTextBlock', inlines: [run(command.slice(0, shown).join('') + (shown < command.length ? '…' : ''), { fontType: 'Monospace' })] },
  ];
  if (shown < command.length) {
    body.push({ type: 'TextBlock', text: `Command truncated: ${shown} of ${command.length} characters shown. Open the request for the full command.`, wrap: true, color: 'Warning', size: 'Small' });
  }
  return [...body, ...context];
}

/** Who, where, why, which rule, how far, until when: each value on its own line, verbatim. */
function contextLines(r: ApprovalRequest): Element[] {
  const c = r.context;
  const lines: Element[] = [labelled(r.requester.kind === 'agent' ? 'Agent' : 'Requester', `${oneLine(r.requester.name, 200)} (${r.requester.kind})`)];
  if (c.on_behalf_of !== undefined) lines.push(labelled('On behalf of', oneLine(c.on_behalf_of, 200)));
  lines.push(labelled('Host', `${oneLine(r.command.host, 200)} as ${oneLine(c.os_user, 100)}`));
  lines.push(labelled('Working directory', oneLine(r.command.cwd, 500)));
  lines.push(labelled('Reason', c.reason !== undefined && c.reason.trim() !== '' ? clip(visible(c.reason.trim()), 1000) : 'none given'));
  if (c.environment !== undefined) lines.push(labelled('Environment', oneLine(c.environment, 100)));
  lines.push(labelled(r.rules.length > 1 ? 'Rules' : 'Rule', rulesText(r)));
  lines.push(labelled('Approvals', oneLine(r.progress, 300)));
  lines.push(labelled('Expires', utc(r.expires_at)));
  lines.push(labelled('Request', oneLine(r.id, 100)));
  return lines;
}

/** The rules (and fail-closed signals) that asked for approval, with their messages. */
function rulesText(r: ApprovalRequest): string {
  const asking = r.rules.filter((rule) => rule.decision !== 'allow');
  const shown = [...new Set((asking.length > 0 ? asking : r.rules).map((rule) => `${oneLine(rule.id, 100)}${rule.message !== undefined ? ` (${oneLine(rule.message, 200)})` : ''}`))];
  return shown.length === 0 ? '–' : clip(shown.join('; '), 1500);
}

/** "Review & approve" and "Deny…" both open the page; the deny link lands on the reason field. */
function reviewLinks(url: string): OpenUrl[] {
  const review = pageLink(url, false);
  const deny = pageLink(url, true);
  if (review === undefined || deny === undefined) return [];
  return [
    { type: 'Action.OpenUrl', title: 'Review & approve', url: review },
    { type: 'Action.OpenUrl', title: 'Deny…', url: deny },
  ];
}

/** The request's page with `via=teams`; only http(s), so a card can never carry another scheme. */
function pageLink(url: string, deny: boolean): string | undefined {
  let link: URL;
  try {
    link = new URL(url);
  } catch {
    return undefined;
  }
  if (link.protocol !== 'https:' && link.protocol !== 'http:') return undefined;
  link.searchParams.set('via', 'teams');
  if (deny) link.hash = 'reason';
  return link.toString();
}

/** Fixed text only: a TextBlock renders markdown. */
function title(text: string, status: RequestStatus): TextBlock {
  const color = status === 'pending' ? undefined : status === 'denied' || status === 'expired' || status === 'cancelled' ? 'Attention' : 'Good';
  return { type: 'TextBlock', text, weight: 'Bolder', size: 'Medium', wrap: true, ...(color !== undefined ? { color } : {}) };
}

const rich = (text: string): RichTextBlock => ({ type: 'RichTextBlock', inlines: [run(text)] });
