import { displayCommand, sanitize } from '../../display.js';
import type { EvidenceRow } from './rows.js';

/** How wide the table may be: a terminal's columns, or unlimited (a pipe or file gets everything). */
export interface TableLayout {
  readonly width?: number;
}

const HEADERS = ['SEQ', 'TIME', 'OUTCOME', 'PRINCIPAL', 'ON BEHALF OF', 'RULES', 'APPROVERS', 'COMMAND'] as const;
/** On a terminal no other column takes more than this, so the command keeps most of the line. */
const MAX_COLUMN = 40;
const MIN_COMMAND = 20;

/** What happened, in words: "ran, exit 0", "denied by alice", "failed: not_configured". */
export function outcomeText(row: EvidenceRow): string {
  switch (row.outcome) {
    case 'ran': {
      const end = row.end;
      if (end === undefined) return 'ran, no end recorded';
      switch (end.outcome) {
        case 'exited':
          return `ran, exit ${end.exitCode ?? '?'}`;
        case 'signaled':
          return `ran, signal ${end.signal ?? '?'}`;
        case 'spawn_failed':
          return 'failed to start';
      }
    }
    case 'denied_by_policy':
      return 'denied by policy';
    case 'denied_by_approver':
      return row.denial !== undefined && row.denial.by !== '' ? `denied by ${row.denial.by}` : 'denied by an approver';
    case 'expired':
      return 'expired';
    case 'cancelled':
      return 'cancelled';
    case 'failed_closed':
      return row.error !== undefined && row.error.code !== '' ? `failed: ${row.error.code}` : 'failed';
    case 'pending':
      return 'pending';
  }
}

/** `2026-05-01 09:00:00Z`: second precision reads better in a table; records keep milliseconds. */
function shortTime(at: string): string {
  const ms = Date.parse(at);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z` : at;
}

/** The cells of one row, every one terminal-safe (names and reasons come from outside). */
export function rowCells(row: EvidenceRow): string[] {
  const cells = [
    String(row.seq),
    shortTime(row.at),
    outcomeText(row),
    row.principal.kind !== '' ? `${row.principal.name} (${row.principal.kind})` : row.principal.name,
    row.onBehalfOf ?? '-',
    row.rules.length > 0 ? row.rules.join(',') : '-',
    row.approvals.length > 0 ? row.approvals.map((a) => (a.channel !== '' ? `${a.name} via ${a.channel}` : a.name)).join(', ') : '-',
  ].map(sanitize);
  // displayCommand quotes words and escapes control characters itself.
  return [...cells, displayCommand(row.argv)];
}

/**
 * A plain-text table with a header line. With a width (a terminal), long cells are cut with an
 * ellipsis and the command gets what is left of the line; without one, nothing is cut.
 */
export function renderTable(rows: readonly EvidenceRow[], layout: TableLayout = {}): string {
  const body = rows.map(rowCells);
  const all = [[...HEADERS], ...body];
  const columns = HEADERS.length;
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...all.map((cells) => length(cells[c]!))));
  if (layout.width !== undefined) fit(widths, layout.width);
  const lines = all.map((cells) =>
    cells
      .map((cell, c) => {
        const last = c === columns - 1;
        const text = layout.width !== undefined ? cut(cell, widths[c]!) : cell;
        return last ? text : text.padEnd(widths[c]! + (text.length - length(text)));
      })
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Narrows the columns to a terminal's width: none wider than MAX_COLUMN, then the widest text
 * columns shrink (never below their header; seq and time never) until the command has at least
 * MIN_COMMAND. A terminal narrower than that wraps, rather than losing whole columns.
 */
function fit(widths: number[], width: number): void {
  const last = widths.length - 1;
  for (let c = 0; c < last; c++) widths[c] = Math.min(widths[c]!, MAX_COLUMN);
  const floor = (c: number): number => (c < 2 ? widths[c]! : HEADERS[c]!.length);
  const used = (): number => widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0);
  while (used() + MIN_COMMAND > width) {
    let widest = -1;
    for (let c = 2; c < last; c++) if (widths[c]! > floor(c) && (widest === -1 || widths[c]! > widths[widest]!)) widest = c;
    if (widest === -1) break;
    widths[widest]!--;
  }
  widths[last] = Math.max(MIN_COMMAND, width - used());
}

/** Length in code points (sanitized text has no control characters; wide glyphs count as one). */
const length = (text: string): number => Array.from(text).length;

function cut(text: string, width: number): string {
  const points = Array.from(text);
  return points.length <= width ? text : `${points.slice(0, Math.max(0, width - 1)).join('')}…`;
}
