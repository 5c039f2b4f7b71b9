import type { KeyObject } from 'node:crypto';
import { commandDigest } from '../../approval/digest.js';
import type { CommandSpec } from '../../approval/protocol.js';
import { verifyReceipt } from '../../approval/receipt.js';
import type { LogEntry } from './entries.js';
import type { Decision } from '../log/record.js';
import { list, num, obj, opt, str, strings, type EvidenceRow, type RowOutcome } from './rows.js';

export interface ServiceRow {
  readonly row: EvidenceRow;
  /** Undefined when the request carries no receipt. */
  readonly receiptValid?: boolean;
}

/**
 * The approval service's log as one row per request: its service.event records folded in log
 * order, the last snapshot saying where the request ended up. Records of other events
 * (service.head, service.principal, log.*) are not requests.
 */
export function serviceRows(entries: readonly LogEntry[], serviceKey: KeyObject): ServiceRow[] {
  const byRequest = new Map<string, { first: LogEntry; lines: number[]; seqs: number[]; snapshot: Readonly<Record<string, unknown>>; started?: string; ended?: string }>();
  for (const entry of entries) {
    if (entry.record.event !== 'service.event') continue;
    const data = obj(entry.record.data);
    const id = str(data.request_id);
    if (id === undefined) continue;
    const snapshot = obj(data.request);
    const type = str(data.type);
    const seen = byRequest.get(id) ?? { first: entry, lines: [], seqs: [], snapshot };
    seen.lines.push(entry.line);
    seen.seqs.push(entry.record.seq);
    seen.snapshot = snapshot;
    if (type === 'executing') seen.started = entry.record.at;
    if (type === 'executed') seen.ended = entry.record.at;
    byRequest.set(id, seen);
  }
  return [...byRequest.entries()].map(([id, seen]) => {
    const r = seen.snapshot;
    const command = obj(r.command);
    const context = obj(r.context);
    const requester = obj(r.requester);
    const denial = r.denial === undefined ? undefined : obj(r.denial);
    const outcome = obj(r.outcome);
    const rules = list(r.rules).map(obj);
    const decision = strictest(rules.map((rule) => str(rule.decision)), denial?.by_policy === true);
    const row: EvidenceRow = {
      seq: seen.first.record.seq,
      hash: seen.first.hash,
      at: seen.first.record.at,
      lines: seen.lines,
      seqs: seen.seqs,
      requestId: id,
      host: str(command.host) ?? '',
      osUser: str(context.os_user) ?? '',
      principal: { name: str(requester.name) ?? '', kind: str(requester.kind) ?? '' },
      ...opt('onBehalfOf', str(context.on_behalf_of)),
      argv: strings(command.argv),
      cwd: str(command.cwd) ?? '',
      ...opt('shellText', str(command.shell_text)),
      rules: [...new Set(rules.filter((rule) => rule.decision === decision).map((rule) => str(rule.id) ?? ''))],
      decision,
      policyDigest: '',
      ...opt('reason', str(context.reason)),
      outcome: outcomeOf(str(r.status), denial?.by_policy === true),
      approvals: list(r.approvals).map((a) => {
        const approval = obj(a);
        return { name: str(approval.approver) ?? '', channel: str(approval.channel) ?? '', at: str(approval.at) ?? '', ...opt('comment', str(approval.comment)) };
      }),
      ...(denial !== undefined ? { denial: { by: str(denial.by) ?? '', reason: str(denial.reason) ?? '', at: str(denial.at) ?? '', byPolicy: denial.by_policy === true } } : {}),
      times: {
        ...opt('requested', str(r.created_at)),
        ...opt('decided', str(r.decided_at)),
        ...opt('started', seen.started),
        ...opt('ended', seen.ended),
      },
      ...(num(outcome.exit_code) !== undefined
        ? {
            end: {
              outcome: str(outcome.signal) !== undefined ? 'signaled' : 'exited',
              exitCode: num(outcome.exit_code)!,
              ...opt('signal', str(outcome.signal)),
              ...opt('durationMs', num(outcome.duration_ms)),
            },
          }
        : {}),
      hasReceipt: r.receipt !== undefined,
    };
    return { row, ...(r.receipt !== undefined ? { receiptValid: receiptValid(r, serviceKey) } : {}) };
  });
}

function outcomeOf(status: string | undefined, byPolicy: boolean): RowOutcome {
  switch (status) {
    case 'executing':
    case 'executed':
      return 'ran';
    case 'denied':
      return byPolicy ? 'denied_by_policy' : 'denied_by_approver';
    case 'expired':
      return 'expired';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'pending';
  }
}

/** Every request at the service needs approval unless one of its rules (or its policy) denied it. */
function strictest(decisions: readonly (string | undefined)[], deniedByPolicy: boolean): Decision {
  if (deniedByPolicy || decisions.includes('deny')) return 'deny';
  return 'approve';
}

/** The receipt is the service's signature on exactly this request, command and requester. */
function receiptValid(request: Readonly<Record<string, unknown>>, key: KeyObject): boolean {
  const receipt = obj(request.receipt);
  const requester = str(obj(request.requester).name) ?? '';
  try {
    verifyReceipt(receipt, key, {
      requestId: str(request.id) ?? '',
      commandDigest: commandDigest(request.command as CommandSpec, requester),
      requester,
      now: new Date(str(obj(receipt.payload).decided_at) ?? 0),
    });
    return true;
  } catch {
    return false;
  }
}
