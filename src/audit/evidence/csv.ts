import { createHash } from 'node:crypto';
import { displayCommand } from '../../display.js';
import type { JsonValue } from '../../json.js';
import { canonicalJson } from '../canonical.js';
import type { EvidenceRow } from './rows.js';

/**
 * events.csv: one row per privileged action for auditors, with the columns of the recommended
 * SOC 2 evidence format (reference protocols.md §4.3) that gate has data for.
 */
export const EVIDENCE_COLUMNS = [
  'request_id', 'host', 'unix_user', 'requester_id', 'requester_kind', 'on_behalf_of', 'requested_at',
  'command', 'command_sha256', 'cwd', 'policy_rules', 'policy_version', 'justification', 'decision', 'outcome',
  'decided_by', 'decision_channel', 'decided_at', 'decision_reason', 'executed_at', 'ended_at', 'exit_code', 'signal',
  'duration_ms', 'record_seq', 'record_hash', 'signature_valid', 'server_receipt_valid',
] as const;

/** What verification found for a row's records. `receiptValid` is undefined when no receipt applies. */
export interface RowStatus {
  readonly signatureValid: boolean;
  readonly receiptValid?: boolean;
}

/** Hex SHA-256 of the argv as canonical JSON: exact and unambiguous, unlike any display form. */
export function commandSha256(argv: readonly string[]): string {
  return createHash('sha256').update(canonicalJson(argv as JsonValue), 'utf8').digest('hex');
}

/** The row's cells in EVIDENCE_COLUMNS order (raw text: csvLine quotes and neutralizes). */
export function evidenceCells(row: EvidenceRow, status: RowStatus): string[] {
  const byPolicy = row.outcome === 'denied_by_policy' || (row.decision === 'allow' && row.requestId === undefined);
  const deciders = row.approvals.length > 0 ? row.approvals.map((a) => a.name) : row.denial !== undefined ? [row.denial.by] : byPolicy ? ['policy'] : [];
  const channels = row.approvals.length > 0 ? row.approvals.map((a) => a.channel) : byPolicy ? ['policy'] : [];
  const reason =
    row.denial !== undefined ? row.denial.reason
    : row.error !== undefined ? row.error.message
    : row.approvals.filter((a) => a.comment !== undefined).map((a) => `${a.name}: ${a.comment}`).join('; ');
  const cells: Record<(typeof EVIDENCE_COLUMNS)[number], string> = {
    request_id: row.requestId ?? '',
    host: row.host,
    unix_user: row.osUser,
    requester_id: row.principal.name,
    requester_kind: row.principal.kind,
    on_behalf_of: row.onBehalfOf ?? '',
    requested_at: row.times.requested ?? '',
    command: row.shellText ?? displayCommand(row.argv),
    command_sha256: commandSha256(row.argv),
    cwd: row.cwd,
    policy_rules: row.rules.join(';'),
    policy_version: row.policyDigest,
    justification: row.reason ?? '',
    decision: row.decision ?? '',
    outcome: row.outcome,
    decided_by: deciders.join(';'),
    decision_channel: channels.join(';'),
    decided_at: row.times.decided ?? row.denial?.at ?? '',
    decision_reason: reason,
    executed_at: row.times.started ?? '',
    ended_at: row.times.ended ?? '',
    exit_code: row.end?.exitCode !== undefined ? String(row.end.exitCode) : '',
    signal: row.end?.signal ?? '',
    duration_ms: row.end?.durationMs !== undefined ? String(row.end.durationMs) : '',
    record_seq: String(row.seq),
    record_hash: row.hash,
    signature_valid: String(status.signatureValid),
    server_receipt_valid: status.receiptValid === undefined ? '' : String(status.receiptValid),
  };
  return EVIDENCE_COLUMNS.map((column) => cells[column]);
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or TAB/CR, which some strip first; or their
 * fullwidth forms, or spaces before them) as a formula: `=HYPERLINK(...)` in a command would become
 * a live link. A leading `'` makes it text (OWASP "CSV injection"); the original stays in
 * events.jsonl and audit.log.
 */
export function neutralize(cell: string): string {
  return /^(?:[\t\r]|[ \u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20])/.test(cell) ? `'${cell}` : cell;
}

/**
 * Every field quoted (RFC 4180 allows it), quotes doubled: a spreadsheet whose locale separates
 * cells with `;` would otherwise split `echo a;=1+1` and run the second half as a formula.
 */
export function csvField(cell: string): string {
  return `"${neutralize(cell).replace(/"/g, '""')}"`;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

export function evidenceCsv(rows: readonly { readonly row: EvidenceRow; readonly status: RowStatus }[]): string {
  return csvLine(EVIDENCE_COLUMNS) + rows.map(({ row, status }) => csvLine(evidenceCells(row, status))).join('');
}
