import type { ApprovalRequest, ApprovalRequirementWire, RequestStatus } from '../../../approval/protocol.js';
import { FINAL_STATUSES } from '../../../approval/protocol.js';
import { formatDuration, multiLine } from '../format.js';
import { html, type Html } from '../html.js';
import type { PageContext } from './layout.js';
import { countdown, when } from './time.js';

/**
 * The part of a request page that changes while it is open: status, progress, approvals, the
 * denial, questions and answers, the outcome. The script re-fetches exactly this section (with
 * ?fragment=state) on every event, so the live view and a reload render the same markup.
 */

const STATUS_LABEL: Readonly<Record<RequestStatus, string>> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  executing: 'Running',
  executed: 'Executed',
};

export const statusLabel = (status: RequestStatus): string => STATUS_LABEL[status];

export const isFinal = (status: RequestStatus): boolean => FINAL_STATUSES.includes(status);

/** "2 from dba and 1 from security", with the extra conditions a rule set. */
export function requirementText(r: ApprovalRequirementWire): string {
  const who = r.from.length === 0 ? '1 approval from anyone but the requester' : r.from.map((f) => `${f.count} from ${f.group}`).join(' and ');
  const extra = [
    r.reason_required ? 'a reason from the requester' : '',
    r.reauth_seconds !== undefined ? `approvers signed in within ${formatDuration(r.reauth_seconds)}` : '',
  ].filter((x) => x !== '');
  return extra.length === 0 ? who : `${who}; ${extra.join('; ')}`;
}

function approvals(r: ApprovalRequest): Html {
  if (r.approvals.length === 0) return html`<p class="muted">No approvals yet.</p>`;
  return html`<ul class="plain">${r.approvals.map(
    (a) => html`<li><strong>${a.approver}</strong>${a.groups.length > 0 ? ` (${a.groups.join(', ')})` : ''} approved via ${a.channel}, ${when(a.at)}${
      a.comment === undefined ? '' : html`<blockquote class="text">${multiLine(a.comment)}</blockquote>`
    }</li>`,
  )}</ul>`;
}

function questions(r: ApprovalRequest): Html {
  if (r.questions.length === 0) return html``;
  return html`<h3>Questions</h3>
<ul class="plain">${r.questions.map(
    (q) => html`<li><p><strong>${q.by}</strong> asked, ${when(q.at)}:</p><blockquote class="text">${multiLine(q.question)}</blockquote>${
      q.answer === undefined ? html`<p class="muted">Not answered yet.</p>` : html`<p>Answer, ${when(q.answered_at ?? q.at)}:</p><blockquote class="text">${multiLine(q.answer)}</blockquote>`
    }</li>`,
  )}</ul>`;
}

function outcome(r: ApprovalRequest): Html {
  if (r.denial !== undefined) {
    const by = r.denial.by_policy ? "the server's policy" : r.denial.by;
    return html`<p><strong>Denied by ${by}</strong>, ${when(r.denial.at)}:</p><blockquote class="text">${multiLine(r.denial.reason)}</blockquote>`;
  }
  if (r.outcome !== undefined) {
    const how = r.outcome.signal !== undefined ? `ended by signal ${r.outcome.signal}` : `exit code ${r.outcome.exit_code}`;
    return html`<p>The command ran: ${how}, in ${formatDuration(Math.max(1, Math.round(r.outcome.duration_ms / 1000)))}.</p>`;
  }
  return html``;
}

/** The one-line summary the live region announces after an update. */
export const announcement = (r: ApprovalRequest): string => `${statusLabel(r.status)}: ${r.progress}`;

export function stateSection(ctx: PageContext, r: ApprovalRequest): Html {
  const base = `${ctx.base}/requests/${r.id}`;
  return html`<section id="state" aria-labelledby="state-h" data-status="${r.status}" data-final="${isFinal(r.status) ? 'true' : 'false'}"
  data-announce="${announcement(r)}" data-state-url="${base}?fragment=state" data-events-url="${base}/events">
<h2 id="state-h">Status</h2>
<p class="status status-${r.status}"><strong>${statusLabel(r.status)}</strong>: ${r.progress}</p>
<dl class="facts">
  <dt>Needs</dt><dd>${requirementText(r.requirement)}</dd>
  ${r.status === 'pending' ? html`<dt>Expires</dt><dd>${countdown(r.expires_at, ctx.nowMs)} (${when(r.expires_at)})</dd>` : ''}
  <dt>Requested</dt><dd>${when(r.created_at)}</dd>
  ${r.decided_at === undefined ? '' : html`<dt>Decided</dt><dd>${when(r.decided_at)}</dd>`}
</dl>
${outcome(r)}
<h3>Approvals</h3>
${approvals(r)}
${questions(r)}
</section>`;
}
