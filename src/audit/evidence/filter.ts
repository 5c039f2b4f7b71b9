import { GateError } from '../../errors.js';
import { parseDuration } from '../../policy/duration.js';
import type { Decision } from '../log/record.js';
import { ROW_OUTCOMES, type EvidenceRow, type RowOutcome } from './rows.js';

/** Filters as typed on the command line (`gate audit show|export`). */
export interface QueryFlags {
  readonly since?: string;
  readonly until?: string;
  readonly rule?: string;
  readonly decision?: string;
  readonly outcome?: string;
  readonly principal?: string;
  readonly limit?: string;
}

/** Filters resolved once: absolute times, checked values. Also what a manifest records as its query. */
export interface Query {
  readonly since?: string;
  readonly until?: string;
  readonly rule?: string;
  readonly decision?: Decision;
  readonly outcome?: RowOutcome;
  readonly principal?: string;
  /** Keep the N most recent matching rows. */
  readonly limit?: number;
}

const DECISIONS: readonly Decision[] = ['allow', 'approve', 'deny'];

/** Validates every flag and turns `24h`/`7d` into "that long before now". Throws USAGE naming the flag. */
export function parseQuery(flags: QueryFlags, now: Date): Query {
  const out: { -readonly [K in keyof Query]: Query[K] } = {};
  if (flags.since !== undefined) out.since = parseTime(flags.since, '--since', now);
  if (flags.until !== undefined) out.until = parseTime(flags.until, '--until', now);
  if (out.since !== undefined && out.until !== undefined && out.since > out.until) {
    throw new GateError('USAGE', `--since ${flags.since} is after --until ${flags.until}`);
  }
  if (flags.rule !== undefined) out.rule = flags.rule;
  if (flags.decision !== undefined) {
    if (!(DECISIONS as readonly string[]).includes(flags.decision)) throw usage('--decision', flags.decision, DECISIONS);
    out.decision = flags.decision as Decision;
  }
  if (flags.outcome !== undefined) {
    if (!(ROW_OUTCOMES as readonly string[]).includes(flags.outcome)) throw usage('--outcome', flags.outcome, ROW_OUTCOMES);
    out.outcome = flags.outcome as RowOutcome;
  }
  if (flags.principal !== undefined) out.principal = flags.principal;
  if (flags.limit !== undefined) {
    const n = Number(flags.limit);
    if (!/^\d+$/.test(flags.limit) || !Number.isSafeInteger(n) || n < 1) throw new GateError('USAGE', `--limit ${flags.limit}: expected a positive whole number`);
    out.limit = n;
  }
  return out;
}

/**
 * An RFC 3339 timestamp, or a duration meaning "that long ago". Returned as ISO UTC with
 * milliseconds, the form records use, so times compare as strings and as instants alike.
 */
function parseTime(text: string, flag: string, now: Date): string {
  const seconds = parseDuration(text);
  if (seconds !== undefined) return new Date(now.getTime() - seconds * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2}))?$/.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.replace(' ', 'T'));
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw new GateError('USAGE', `${flag} ${text}: not a time`, {
    hint: `give an RFC 3339 time (2026-05-01T09:00:00Z, 2026-05-01T11:00:00+02:00, or a UTC date 2026-05-01) or how long ago (90m, 24h, 7d)`,
  });
}

const usage = (flag: string, value: string, allowed: readonly string[]): GateError =>
  new GateError('USAGE', `${flag} ${value}: expected one of ${allowed.join(', ')}`);

/** True when a filter that only commands can satisfy is set (other records then drop out). */
export function selectsCommands(query: Query): boolean {
  return query.rule !== undefined || query.decision !== undefined || query.outcome !== undefined || query.principal !== undefined || query.limit !== undefined;
}

/** Whether an instant is inside the query's window (since inclusive, until exclusive). */
export function inWindow(at: string, query: Query): boolean {
  const t = Date.parse(at);
  if (query.since !== undefined && !(t >= Date.parse(query.since))) return false;
  if (query.until !== undefined && !(t < Date.parse(query.until))) return false;
  return true;
}

/**
 * The rows a query selects, in log order. `principal` matches anyone involved: the requester, the
 * person an agent acted for, an approver or the denier.
 */
export function selectRows(rows: readonly EvidenceRow[], query: Query): EvidenceRow[] {
  const kept = rows.filter(
    (row) =>
      inWindow(row.at, query) &&
      (query.rule === undefined || row.rules.includes(query.rule)) &&
      (query.decision === undefined || row.decision === query.decision) &&
      (query.outcome === undefined || row.outcome === query.outcome) &&
      (query.principal === undefined || involved(row).includes(query.principal)),
  );
  return query.limit === undefined ? kept : kept.slice(Math.max(0, kept.length - query.limit));
}

function involved(row: EvidenceRow): string[] {
  return [row.principal.name, ...(row.onBehalfOf !== undefined ? [row.onBehalfOf] : []), ...row.approvals.map((a) => a.name), ...(row.denial !== undefined ? [row.denial.by] : [])];
}
