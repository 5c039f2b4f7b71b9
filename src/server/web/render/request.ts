import type { ApprovalRequest } from '../../../approval/protocol.js';
import { samePerson } from '../../approvers.js';
import { argvWord, commandLine, formatDuration, multiLine, oneLine } from '../format.js';
import { html, type Html, type Part } from '../html.js';
import type { ReauthDue } from '../reauth.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { stateSection } from './state.js';

export interface RequestView {
  readonly request: ApprovalRequest;
  /** A short confirmation after a decision of the viewer's (by a fixed key, never reflected text). */
  readonly notice?: string;
  /** Why the viewer's last action was refused. */
  readonly error?: string;
  /** Why the viewer cannot decide this request (the service's own words), when they cannot. */
  readonly cannotDecide?: string;
  /** Set when approving will first ask for a fresh sign-in (a rule's `reauth` window has passed). */
  readonly reauth?: ReauthDue;
}

const row = (label: string, value: Part): Html => html`<dt>${label}</dt><dd>${value}</dd>`;

/** A link only for http(s) URLs (a CI run URL comes from the requester's environment). */
const safeLink = (url: string): Html => (/^https?:\/\//i.test(url) ? html`<a href="${url}" rel="noreferrer noopener">${oneLine(url)}</a>` : html`${oneLine(url)}`);

function commandSection(r: ApprovalRequest): Html {
  const c = r.command;
  return html`<section aria-labelledby="command-h">
<h2 id="command-h">Command</h2>
${
  c.shell_text === undefined
    ? html`<pre class="command"><code>${commandLine(c.argv)}</code></pre>`
    : html`<p>Shell text, run exactly as shown by <code>${commandLine(c.argv.slice(0, c.argv.indexOf(c.shell_text)))}</code>:</p>
<pre class="command"><code>${multiLine(c.shell_text)}</code></pre>`
}
<details>
  <summary>Exact argument list (${c.argv.length} word${c.argv.length === 1 ? '' : 's'})</summary>
  <ol class="argv" start="0">${c.argv.map((w) => html`<li><code>${argvWord(w)}</code></li>`)}</ol>
</details>
<dl class="facts">
  ${row('Program', html`<code>${oneLine(c.program_path)}</code>`)}
  ${row('Directory', html`<code>${oneLine(c.cwd)}</code>`)}
  ${row('Host', oneLine(c.host))}
</dl>
</section>`;
}

function contextSection(r: ApprovalRequest): Html {
  const x = r.context;
  const ci = x.ci;
  const custom = Object.entries(x.custom);
  const env = Object.entries(x.env);
  return html`<section aria-labelledby="context-h">
<h2 id="context-h">Who and why</h2>
<dl class="facts">
  ${row('Requester', html`<strong>${r.requester.name}</strong> (${r.requester.kind}${r.requester.groups.length > 0 ? `; ${r.requester.groups.join(', ')}` : ''})`)}
  ${x.on_behalf_of === undefined ? '' : row('On behalf of', oneLine(x.on_behalf_of))}
  ${row('OS user', oneLine(x.os_user))}
  ${row('Reason', x.reason === undefined || x.reason.trim() === '' ? html`<span class="muted">none given</span>` : html`<span class="text">${multiLine(x.reason)}</span>`)}
  ${x.environment === undefined ? '' : row('Environment', oneLine(x.environment))}
  ${
    ci === undefined
      ? ''
      : row(
          'CI run',
          html`${ci.provider}${ci.repository === undefined ? '' : html`, ${oneLine(ci.repository)}`}${ci.commit === undefined ? '' : html` at <code>${oneLine(ci.commit)}</code>`}${
            ci.actor === undefined ? '' : html`, started by ${oneLine(ci.actor)}`
          }${ci.run_url === undefined ? '' : html`<br>${safeLink(ci.run_url)}`}`,
        )
  }
  ${custom.map(([k, v]) => row(oneLine(k), oneLine(v)))}
  ${env.length === 0 ? '' : row('Environment variables', html`<ul class="plain">${env.map(([k, v]) => html`<li><code>${k}=${oneLine(v)}</code></li>`)}</ul>`)}
  ${row('gate version', oneLine(x.gate_version))}
</dl>
</section>`;
}

function rulesSection(r: ApprovalRequest): Html {
  return html`<section aria-labelledby="rules-h">
<h2 id="rules-h">Why it needs approval</h2>
<ul class="plain rules">${r.rules.map(
    (rule) => html`<li><strong>${oneLine(rule.id)}</strong> <span class="tag">${rule.decision}</span> <span class="muted">(${rule.source === 'server' ? "server's policy" : "requester's policy"})</span>${
      rule.message === undefined ? '' : html`<br>${oneLine(rule.message)}`
    }${rule.parts === undefined ? '' : html`<ul class="plain parts">${rule.parts.map((p) => html`<li><code>${multiLine(p)}</code></li>`)}</ul>`}</li>`,
  )}</ul>
</section>`;
}

/** Approve, deny and ask: shown only to someone who may decide; act() checks everything again on POST. */
function actionsSection(ctx: PageContext, view: RequestView): Html {
  const r = view.request;
  if (r.status !== 'pending') return html``;
  const name = ctx.viewer?.name ?? '';
  const inner = ((): Html => {
    if (samePerson(r.requester.name, name)) return html`<p class="notice">You asked for this command, so someone else must decide it.</p>`;
    if (r.approvals.some((a) => samePerson(a.approver, name))) return html`<p class="notice">You approved this request; it waits for ${r.progress}.</p>`;
    if (view.cannotDecide !== undefined) return html`<p class="notice">You cannot decide this request: ${view.cannotDecide}.</p>`;
    const action = (verb: string): string => `${ctx.base}/requests/${r.id}/${verb}`;
    const reauth =
      view.reauth === undefined
        ? ''
        : html`<p class="notice warn" id="reauth-note">You signed in ${formatDuration(view.reauth.ageSeconds)} ago; this request needs a sign-in within
  ${formatDuration(view.reauth.windowSeconds)}, so approving asks for your token again.</p>`;
    return html`${reauth}
<form method="post" action="${action('approve')}" class="stack">
  ${csrfField(ctx.csrf)}
  <label for="comment">Comment (optional)</label>
  <input id="comment" name="comment" type="text" maxlength="10000" autocomplete="off">
  <button type="submit" class="approve">Approve</button>
</form>
<form method="post" action="${action('deny')}" class="stack">
  ${csrfField(ctx.csrf)}
  <label for="reason">Reason for denying (required; the requester sees it)</label>
  <textarea id="reason" name="reason" rows="3" maxlength="10000" required></textarea>
  <button type="submit" class="deny">Deny</button>
</form>
<form method="post" action="${action('ask')}" class="stack">
  ${csrfField(ctx.csrf)}
  <label for="question">Question for the requester</label>
  <textarea id="question" name="question" rows="2" maxlength="10000" required></textarea>
  <button type="submit" class="secondary">Ask</button>
</form>`;
  })();
  return html`<section id="actions" aria-labelledby="actions-h">
<h2 id="actions-h">Your decision</h2>
${inner}
</section>`;
}

export function requestPage(ctx: PageContext, view: RequestView): string {
  const r = view.request;
  const title = `Request ${r.id}`;
  return layout(
    ctx,
    title,
    html`<p><a href="${ctx.base}/requests">All pending requests</a></p>
<h1>Approval request <span class="id">${r.id}</span></h1>
${view.notice === undefined ? '' : html`<p class="notice ok" role="status">${view.notice}</p>`}
${view.error === undefined ? '' : html`<p class="notice error" role="alert">${view.error}</p>`}
${commandSection(r)}
${contextSection(r)}
${rulesSection(r)}
${stateSection(ctx, r)}
${actionsSection(ctx, view)}`,
  );
}
