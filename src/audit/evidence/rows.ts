import type { LogEntry } from './entries.js';
import type { Decision, NotRunOutcome } from '../log/record.js';

/**
 * One privileged action as evidence shows it: a host's command (command.started + its
 * command.ended, or one command.not_run), or a request in the approval service's log. The table,
 * the filters and the CSV all read this one shape.
 */
export type RowOutcome = 'ran' | NotRunOutcome | 'pending';

export const ROW_OUTCOMES: readonly RowOutcome[] = ['ran', 'denied_by_policy', 'denied_by_approver', 'expired', 'cancelled', 'failed_closed', 'pending'];

export interface RowApproval {
  readonly name: string;
  readonly channel: string;
  readonly at: string;
  readonly comment?: string;
}

export interface RowEnd {
  readonly outcome: 'exited' | 'signaled' | 'spawn_failed';
  readonly exitCode?: number;
  readonly signal?: string;
  readonly durationMs?: number;
  readonly message?: string;
}

export interface EvidenceRow {
  /** The record that opens the row (command.started / command.not_run / the request's first event). */
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  /** Every record of the row, in log order (line numbers and seqs). */
  readonly lines: readonly number[];
  readonly seqs: readonly number[];
  readonly requestId?: string;
  readonly host: string;
  readonly osUser: string;
  readonly principal: { readonly name: string; readonly kind: string };
  readonly onBehalfOf?: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly shellText?: string;
  readonly rules: readonly string[];
  readonly decision?: Decision;
  /** sha256 of the policy set in force (empty when unknown). */
  readonly policyDigest: string;
  readonly reason?: string;
  readonly outcome: RowOutcome;
  readonly approvals: readonly RowApproval[];
  readonly denial?: { readonly by: string; readonly reason: string; readonly at: string; readonly byPolicy: boolean };
  readonly error?: { readonly code: string; readonly message: string };
  readonly times: { readonly requested?: string; readonly decided?: string; readonly started?: string; readonly ended?: string };
  /** Present once the command's end is on the record. */
  readonly end?: RowEnd;
  /** An approval service receipt is part of the row (so its validity is a fact to report). */
  readonly hasReceipt: boolean;
}

/**
 * A host log's commands, in log order: each command.started paired with the command.ended that
 * names it (start_seq), each command.not_run alone. Other events (log.opened, log.recovered) are
 * not commands. Reads defensively: a record that verifies badly may still parse, and must still
 * be shown rather than crash the viewer.
 */
export function commandRows(entries: readonly LogEntry[]): EvidenceRow[] {
  const rows: EvidenceRow[] = [];
  const open = new Map<number, number>(); // start seq -> index in rows
  for (const entry of entries) {
    const { record } = entry;
    if (record.event === 'command.started' || record.event === 'command.not_run') {
      const row = contextRow(entry);
      if (record.event === 'command.started') open.set(record.seq, rows.length);
      rows.push(row);
    } else if (record.event === 'command.ended') {
      const data = obj(record.data);
      const index = open.get(num(data.start_seq) ?? -1);
      if (index === undefined) continue; // an orphan end: verify reports it
      open.delete(num(data.start_seq)!);
      const row = rows[index]!;
      const times = obj(data.times);
      const outcome = str(data.outcome);
      rows[index] = {
        ...row,
        lines: [...row.lines, entry.line],
        seqs: [...row.seqs, record.seq],
        times: { ...row.times, ...opt('ended', str(times.ended)) },
        end: {
          outcome: outcome === 'signaled' || outcome === 'spawn_failed' ? outcome : 'exited',
          ...opt('exitCode', num(data.exit_code)),
          ...opt('signal', str(data.signal)),
          ...opt('durationMs', num(data.duration_ms)),
          ...opt('message', str(data.message)),
        },
      };
    }
  }
  return rows;
}

const NOT_RUN: readonly string[] = ['denied_by_policy', 'denied_by_approver', 'expired', 'cancelled', 'failed_closed'];

function contextRow(entry: LogEntry): EvidenceRow {
  const { record } = entry;
  const data = obj(record.data);
  const command = obj(data.command);
  const principal = obj(data.principal);
  const policy = obj(data.policy);
  const request = data.request === undefined ? undefined : obj(data.request);
  const times = obj(data.times);
  const outcome: RowOutcome = record.event === 'command.started' ? 'ran' : NOT_RUN.includes(str(data.outcome) ?? '') ? (data.outcome as NotRunOutcome) : 'failed_closed';
  const denial = request?.denial === undefined ? undefined : obj(request.denial);
  const error = data.error === undefined ? undefined : obj(data.error);
  const decision = str(policy.decision);
  return {
    seq: record.seq,
    hash: entry.hash,
    at: record.at,
    lines: [entry.line],
    seqs: [record.seq],
    ...opt('requestId', str(request?.id)),
    host: str(data.host) ?? str(command.host) ?? '',
    osUser: str(data.os_user) ?? '',
    principal: { name: str(principal.name) ?? '', kind: str(principal.kind) ?? '' },
    ...opt('onBehalfOf', str(data.on_behalf_of)),
    argv: strings(command.argv),
    cwd: str(command.cwd) ?? '',
    ...opt('shellText', str(command.shell_text)),
    rules: strings(policy.rules),
    ...(decision === 'allow' || decision === 'approve' || decision === 'deny' ? { decision } : {}),
    policyDigest: str(policy.digest) ?? '',
    ...opt('reason', str(data.reason)),
    outcome,
    approvals: list(request?.approvals).map((a) => {
      const approval = obj(a);
      return { name: str(approval.name) ?? '', channel: str(approval.channel) ?? '', at: str(approval.at) ?? '', ...opt('comment', str(approval.comment)) };
    }),
    ...(denial !== undefined
      ? { denial: { by: str(denial.by) ?? '', reason: str(denial.reason) ?? '', at: str(denial.at) ?? '', byPolicy: denial.by_policy === true } }
      : {}),
    ...(error !== undefined ? { error: { code: str(error.code) ?? '', message: str(error.message) ?? '' } } : {}),
    times: {
      ...opt('requested', str(times.requested)),
      ...opt('decided', str(times.decided) ?? str(request?.decided_at)),
      ...opt('started', str(times.started)),
    },
    hasReceipt: request?.receipt !== undefined,
  };
}

// Readers for untrusted shapes: a wrong type reads as absent.
type Obj = Readonly<Record<string, unknown>>;
export const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
export const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');
/** `{[key]: value}` when value is defined, else nothing (for exact optional properties). */
export const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));
