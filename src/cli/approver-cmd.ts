import '../bundle-layout.js'; // see src/bundle-layout.ts
import { ApprovalClient } from '../approval/client.js';
import { ApprovalError } from '../approval/errors.js';
import type { ApprovalRequest, ErrorCode } from '../approval/protocol.js';
import { serviceSettings } from '../approval/request.js';
import { gateHome } from '../config/paths.js';
import { readUserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { say } from './output.js';
import { displayCommand, sanitize } from '../display.js';

/** The approver's side: list what they may decide, then approve, deny or ask. */

export async function requestsCommand(opts: { all: boolean; json: boolean }): Promise<number> {
  return withClient('gate requests', 'list requests', undefined, async (client) => {
    const requests = await client.list(opts.all);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ requests }, null, 2)}\n`);
    } else if (requests.length === 0) {
      say(opts.all ? 'no requests' : 'no pending requests you can decide');
    } else {
      process.stdout.write(requestsTable(requests, opts.all, client.now()));
    }
    return 0;
  });
}

export async function approveCommand(id: string, opts: { comment?: string }): Promise<number> {
  return withClient('gate approve', 'approve', id, async (client) => {
    const request = await client.approve(id, opts.comment);
    const done = request.status === 'approved' || request.status === 'executing' || request.status === 'executed';
    process.stdout.write(`${done ? `approved ${sanitize(request.id)}: the command may run now` : `your approval of ${sanitize(request.id)} is recorded; still needs: ${sanitize(request.progress)}`}\n`);
    process.stdout.write(`  ${summary(request)}\n`);
    return 0;
  });
}

export async function denyCommand(id: string, opts: { reason: string }): Promise<number> {
  return withClient('gate deny', 'deny', id, async (client) => {
    const request = await client.deny(id, opts.reason);
    process.stdout.write(`denied ${sanitize(request.id)}; the requester sees your reason\n  ${summary(request)}\n`);
    return 0;
  });
}

export async function askCommand(id: string, question: string): Promise<number> {
  return withClient('gate ask', 'ask about', id, async (client) => {
    const request = await client.ask(id, question);
    process.stdout.write(`question sent to ${sanitize(request.requester.name)} about ${sanitize(request.id)}\n  ${summary(request)}\n`);
    return 0;
  });
}

/**
 * Runs one approver action. A refusal by the server (self-approval, not an approver, already
 * decided...) is printed plainly and exits 1; not reaching the server at all exits 125.
 */
/** `gate reply ID "answer"`: the requester answers an approver's question (e.g. from another terminal). */
export async function replyCommand(id: string, answer: string): Promise<number> {
  return withClient('gate reply', 'answer a question on', id, async (client) => {
    const request = await client.reply(id, answer, undefined);
    process.stdout.write(`answer sent on ${sanitize(request.id)}\n  ${summary(request)}\n`);
    return 0;
  });
}

async function withClient(command: string, verb: string, id: string | undefined, action: (client: ApprovalClient) => Promise<number>): Promise<number> {
  const settings = serviceSettings(process.env, readUserConfig(gateHome()), `\`${command}\` talks to it`);
  const client = new ApprovalClient({ baseUrl: settings.serverUrl, token: settings.token, userAgent: `gate/${gateVersion()}`, retryBudgetMs: 5_000 });
  try {
    return await action(client);
  } catch (error) {
    if (!(error instanceof ApprovalError) || error.problem !== 'http') throw error;
    const what = id === undefined ? `cannot ${verb}` : `cannot ${verb} ${sanitize(id)}`;
    // The protocol's error code too: scripts and people can search for it.
    say(`${what}: ${explain(error.serverCode, error.status)}${error.serverCode !== undefined ? ` (${error.serverCode})` : ''}`);
    if (error.serverMessage) say(`  the server says: ${sanitize(error.serverMessage)}`);
    if (error.hint && error.serverCode === 'unauthenticated') say(`hint: ${error.hint}`);
    return 1;
  } finally {
    await client.close();
  }
}

const EXPLAIN: Partial<Record<ErrorCode, string>> = {
  self_approval: 'you cannot decide your own request; another approver must',
  agent_cannot_approve: 'agents cannot approve; a human approver must',
  not_an_approver: 'you are not in an approver group this request needs',
  already_decided: 'the request was already decided',
  already_voted: 'you already approved this request',
  already_claimed: 'the approval was already used',
  not_found: 'no such request (or it is not visible to you)',
  unauthenticated: 'the approval service did not accept your token',
  forbidden: 'your token may not do that',
  reason_required: 'a reason is required',
  bad_request: 'the approval service rejected the input',
  rate_limited: 'too many requests; try again in a moment',
  receipt_expired: 'the approval expired before it was used',
  internal: 'the approval service failed (see its log)',
};

function explain(code: ErrorCode | undefined, status: number | undefined): string {
  return (code !== undefined ? EXPLAIN[code] : undefined) ?? `the approval service answered HTTP ${status ?? '?'}`;
}

/** What will run, as the requester typed it: the shell text for `gate sh -c`, else the argv. */
function commandText(request: ApprovalRequest): string {
  return request.command.shell_text !== undefined ? sanitize(request.command.shell_text) : displayCommand(request.command.argv);
}

function summary(request: ApprovalRequest): string {
  return `${commandText(request)}  (requested by ${requesterText(request)} on ${sanitize(request.command.host)})`;
}

function requesterText(request: ApprovalRequest): string {
  const { name, kind } = request.requester;
  const behalf = request.context.on_behalf_of;
  return sanitize(`${name} (${kind}${behalf ? `, on behalf of ${behalf}` : ''})`);
}

/** `gate requests`: one row per request, columns padded to fit, every field terminal-safe. */
export function requestsTable(requests: readonly ApprovalRequest[], withStatus: boolean, now: number): string {
  const head = ['ID', ...(withStatus ? ['STATUS'] : []), 'AGE', 'REQUESTER', 'COMMAND', 'RULES', 'PROGRESS', 'EXPIRES IN'];
  const rows = requests.map((r) => [
    sanitize(r.id),
    ...(withStatus ? [r.status] : []),
    duration(now - Date.parse(r.created_at)),
    requesterText(r),
    truncate(commandText(r), 60),
    sanitize([...new Set(r.rules.map((rule) => rule.id))].join(',')) || '-',
    sanitize(r.progress),
    r.status === 'pending' ? duration(Date.parse(r.expires_at) - now) : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => [...row[i]!].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ').trimEnd();
  // Which part of each command asked for approval (the server's own reading of it).
  const why = requests.flatMap((r) =>
    r.rules.flatMap((rule) => (rule.parts ?? []).map((part) => `  ${sanitize(r.id)}  ${sanitize(rule.id)} (${rule.decision}): ${truncate(sanitize(part), 100)}`)),
  );
  return `${[head, ...rows].map(line).join('\n')}\n${why.length > 0 ? `${why.join('\n')}\n` : ''}`;
}

/** `45s`, `12m`, `3h`, `2d`; negative is `expired`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d`;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
