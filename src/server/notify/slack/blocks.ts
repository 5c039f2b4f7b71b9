import type { ApprovalRequest, RequestStatus } from '../../../approval/protocol.js';
import { sanitize } from '../../../display.js';
import { LIMITS, md, plain, type Block, type Button, type TextObject } from './block-kit.js';
import { clip, codeBlock, commandText, inline, link, mrkdwn, slackDate } from './text.js';

/**
 * The approval message, built from the request's wire snapshot and nothing else. Pure: the same
 * snapshot always gives the same blocks. Block ids carry the event seq, so each update uses new
 * ones (Slack keeps a block's state by id). Button values carry only the request id: whoever
 * clicks is authorized by the service from its own state, never from the message.
 */

export const ACTION = { approve: 'gate.approve', deny: 'gate.deny', ask: 'gate.ask', open: 'gate.open' } as const;

export interface SlackMessage {
  /** Fallback for notifications and screen readers (mrkdwn). */
  readonly text: string;
  readonly blocks: readonly Block[];
}

const HEADLINE: Readonly<Record<RequestStatus, string>> = {
  pending: ':raised_hand: Privileged command needs approval',
  approved: ':white_check_mark: Approved',
  executing: ':white_check_mark: Approved · running',
  executed: ':white_check_mark: Approved · executed',
  denied: ':no_entry: Denied',
  expired: ':hourglass: Expired',
  cancelled: ':heavy_multiplication_x: Cancelled',
};

export function requestMessage(request: ApprovalRequest, seq: number): SlackMessage {
  const id = (part: string): string => `gate.${part}.${seq}`;
  const command = codeBlock(commandText(request.command), LIMITS.sectionText);
  const blocks: Block[] = [
    { type: 'header', block_id: id('hdr'), text: plain(clip(HEADLINE[request.status], LIMITS.headerText)) },
    { type: 'section', block_id: id('cmd'), text: md(command.text) },
  ];
  if (command.shown < command.total) {
    blocks.push({
      type: 'context',
      block_id: id('cut'),
      elements: [md(`:warning: Command truncated: ${command.shown} of ${command.total} characters shown. The full command: ${link(request.url, 'open in gate')}`)],
    });
  }
  blocks.push({ type: 'section', block_id: id('ctx'), fields: contextFields(request) });
  const outcome = outcomeText(request);
  if (outcome !== undefined) blocks.push({ type: 'section', block_id: id('out'), text: md(clip(outcome, LIMITS.sectionText)) });
  const votes = votesText(request);
  if (votes !== undefined) blocks.push({ type: 'section', block_id: id('votes'), text: md(clip(votes, LIMITS.sectionText)) });
  const questions = questionsText(request);
  if (questions !== undefined) blocks.push({ type: 'section', block_id: id('qa'), text: md(clip(questions, LIMITS.sectionText)) });
  blocks.push({ type: 'context', block_id: id('ids'), elements: [md(clip(idsText(request), LIMITS.sectionText))] });
  if (request.status === 'pending') blocks.push({ type: 'actions', block_id: id('act'), elements: buttons(request) });
  return { text: clip(fallbackText(request), LIMITS.messageText), blocks };
}

/** The one-line outcome posted in the message's thread, so the requester (mentioned) is told. */
export function outcomeReply(request: ApprovalRequest, requesterMention?: string): string {
  const who = requesterMention === undefined ? '' : `${requesterMention} `;
  return clip(`${who}${outcomeText(request) ?? `Request \`${request.id}\` is ${request.status}.`}`, LIMITS.messageText);
}

function fallbackText(r: ApprovalRequest): string {
  const cmd = inline(clip(commandText(r.command), 300));
  const verb = r.status === 'pending' ? 'Approval needed' : HEADLINE[r.status].replace(/^:[a-z_]+: /, '');
  return `${verb}: ${inline(r.requester.name)} (${r.requester.kind}) wants to run \`${cmd}\` on ${inline(r.command.host)} (${r.id})`;
}

function field(label: string, value: string): TextObject {
  return md(clip(`*${label}*\n${value}`, LIMITS.fieldText));
}

/** Who, where, why, which rule, until when: at most 10 fields (Slack's limit). */
function contextFields(r: ApprovalRequest): TextObject[] {
  const c = r.context;
  const fields: TextObject[] = [field(r.requester.kind === 'agent' ? 'Agent' : 'Requester', `${inline(r.requester.name)} (${r.requester.kind})`)];
  if (c.on_behalf_of !== undefined) fields.push(field('On behalf of', inline(c.on_behalf_of)));
  fields.push(field('Host', `${inline(r.command.host)} as ${inline(c.os_user)}`));
  fields.push(field('Working directory', inline(r.command.cwd)));
  fields.push(field('Reason', c.reason !== undefined && c.reason.trim() !== '' ? inline(c.reason) : '_none given_'));
  fields.push(field('Rule', rulesText(r)));
  fields.push(r.status === 'pending' ? field('Expires', slackDate(r.expires_at)) : field('Decided', r.decided_at !== undefined ? slackDate(r.decided_at) : '–'));
  fields.push(field('Approvals', inline(r.progress)));
  if (c.environment !== undefined) fields.push(field('Environment', inline(c.environment)));
  if (c.ci !== undefined && fields.length < LIMITS.fields) {
    const run = c.ci.run_url !== undefined && /^https?:\/\//.test(c.ci.run_url) ? ` ${link(c.ci.run_url, 'run')}` : '';
    fields.push(field('CI', `${inline(c.ci.provider)}${c.ci.repository !== undefined ? ` ${inline(c.ci.repository)}` : ''}${run}`));
  }
  return fields.slice(0, LIMITS.fields);
}

/** The rules (and fail-closed signals) that asked for approval, with their messages. */
function rulesText(r: ApprovalRequest): string {
  const asking = r.rules.filter((rule) => rule.decision !== 'allow');
  const shown = (asking.length > 0 ? asking : r.rules).map((rule) => `\`${inline(rule.id)}\`${rule.message !== undefined ? ` ${inline(rule.message)}` : ''}`);
  return shown.length === 0 ? '–' : [...new Set(shown)].join('\n');
}

/** Who decided and when; undefined while pending. */
export function outcomeText(r: ApprovalRequest): string | undefined {
  const names = r.approvals.map((a) => inline(a.approver)).join(', ');
  const at = r.decided_at !== undefined ? ` ${slackDate(r.decided_at)}` : '';
  switch (r.status) {
    case 'pending':
      return undefined;
    case 'approved':
      return `:white_check_mark: *Approved* by ${names}${at}. Waiting for the requester to run it.`;
    case 'executing':
      return `:white_check_mark: *Approved* by ${names}${at}. The command is running.`;
    case 'executed': {
      const o = r.outcome;
      const how = o === undefined ? '' : o.signal !== undefined ? ` It ended by signal ${inline(o.signal)}.` : ` It exited with code ${o.exit_code}.`;
      return `:white_check_mark: *Approved* by ${names}${at}.${how}`;
    }
    case 'denied': {
      const d = r.denial;
      if (d === undefined) return `:no_entry: *Denied*${at}.`;
      return `:no_entry: *Denied* ${d.by_policy ? 'by policy' : `by ${inline(d.by)}`}${at}: ${mrkdwn(d.reason)}`;
    }
    case 'expired':
      return r.receipt !== undefined
        ? `:hourglass: *Expired*: approved by ${names}, but not used before ${slackDate(r.receipt.payload.not_after)}.`
        : `:hourglass: *Expired*${at} without a decision (${inline(r.progress)}).`;
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled* by the requester${at}.`;
  }
}

function votesText(r: ApprovalRequest): string | undefined {
  if (r.approvals.length === 0 || r.status !== 'pending') return undefined;
  const lines = r.approvals.map((a) => `• ${inline(a.approver)} via ${inline(a.channel)} ${slackDate(a.at)}${a.comment !== undefined ? `: ${inline(a.comment)}` : ''}`);
  return `*Approvals so far*\n${lines.join('\n')}`;
}

function questionsText(r: ApprovalRequest): string | undefined {
  if (r.questions.length === 0) return undefined;
  const lines = r.questions.map((q) => `• *${inline(q.by)}* asked: ${inline(q.question)}\n   ${q.answer !== undefined ? `_Answer:_ ${inline(q.answer)}` : '_not answered yet_'}`);
  return `*Questions*\n${lines.join('\n')}`;
}

function idsText(r: ApprovalRequest): string {
  const digest = r.command_digest.replace(/^sha256:/, '').slice(0, 12);
  return `Request \`${inline(r.id)}\` · program \`${inline(r.command.program_path)}\` · command sha256 \`${digest}\``;
}

function buttons(r: ApprovalRequest): Button[] {
  const short = clip(sanitize(commandText(r.command).replace(/\s+/g, ' ')), 160);
  return [
    {
      type: 'button',
      action_id: ACTION.approve,
      style: 'primary',
      value: r.id,
      text: plain('Approve'),
      confirm: {
        title: plain('Approve this command?'),
        text: plain(clip(`${short} will run on ${sanitize(r.command.host)} for ${sanitize(r.requester.name)}.`, LIMITS.confirmText)),
        confirm: plain('Approve'),
        deny: plain('Cancel'),
      },
    },
    { type: 'button', action_id: ACTION.deny, style: 'danger', value: r.id, text: plain('Deny') },
    { type: 'button', action_id: ACTION.ask, value: r.id, text: plain('Ask for info') },
    ...(/^https?:\/\//.test(r.url) && r.url.length <= 3000 ? [{ type: 'button' as const, action_id: ACTION.open, url: r.url, text: plain('Open in gate') }] : []),
  ];
}
