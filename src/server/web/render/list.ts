import type { ApprovalRequest } from '../../../approval/protocol.js';
import { samePerson } from '../../approvers.js';
import { commandLine, oneLine } from '../format.js';
import { html, type Html } from '../html.js';
import { layout, type PageContext } from './layout.js';
import { countdown } from './time.js';

/** Longest command shown in a list entry; the request page shows all of it. */
const LIST_COMMAND_CHARS = 160;

const shorten = (text: string): string => (text.length > LIST_COMMAND_CHARS ? `${text.slice(0, LIST_COMMAND_CHARS)}…` : text);

function entry(ctx: PageContext, r: ApprovalRequest): Html {
  const text = r.command.shell_text !== undefined ? oneLine(r.command.shell_text) : commandLine(r.command.argv);
  return html`<li class="card">
  <a class="command" href="${ctx.base}/requests/${r.id}"><code>${shorten(text)}</code></a>
  <p class="meta">${r.requester.name} (${r.requester.kind}) on ${oneLine(r.command.host)}${r.context.environment === undefined ? '' : html` · ${oneLine(r.context.environment)}`}</p>
  <p class="meta">${r.progress} · ${countdown(r.expires_at, ctx.nowMs)}</p>
</li>`;
}

function group(ctx: PageContext, id: string, title: string, empty: string, requests: readonly ApprovalRequest[]): Html {
  return html`<h2 id="${id}">${title}</h2>
${requests.length === 0 ? html`<p class="muted">${empty}</p>` : html`<ul class="cards" aria-labelledby="${id}">${requests.map((r) => entry(ctx, r))}</ul>`}`;
}

/** The part of the list page the script refreshes in place (same markup, fetched with ?fragment=1). */
export function listSection(ctx: PageContext, pending: readonly ApprovalRequest[]): Html {
  const name = ctx.viewer?.name ?? '';
  const own = pending.filter((r) => samePerson(r.requester.name, name));
  const toDecide = pending.filter((r) => !samePerson(r.requester.name, name));
  // What the script compares to decide whether a refreshed list differs (countdowns always do).
  const signature = pending.map((r) => `${r.id}:${r.approvals.length}:${r.questions.length}`).join(' ');
  return html`<section id="requests" data-refresh="${ctx.base}/requests?fragment=1" data-summary="${summary(toDecide.length)}" data-signature="${signature}">
${group(ctx, 'to-decide', 'Waiting for your decision', 'Nothing is waiting for your decision.', toDecide)}
${group(ctx, 'own', 'Your own requests', 'You have no pending requests.', own)}
</section>`;
}

const summary = (n: number): string =>
  n === 0 ? 'No requests wait for your decision.' : n === 1 ? '1 request waits for your decision.' : `${n} requests wait for your decision.`;

export function listPage(ctx: PageContext, pending: readonly ApprovalRequest[]): string {
  return layout(ctx, 'Pending requests', html`<h1>Pending requests</h1>
${listSection(ctx, pending)}`);
}
