import type { CheckpointPayload } from '../../approval/protocol.js';
import type { Finding, ProblemCode, VerifyReport, WarningCode } from '../log/verify.js';

/**
 * Compares a verified local log with what the approval service anchored of it. Pure: the
 * checkpoints given here have already been verified against the trusted service key.
 *
 * A local key cannot detect a cut tail, a rollback to an older copy, or a chain rewritten and
 * re-signed with the same key; the service's checkpoints can: each one says "record N of this log
 * hashed to H when I saw it at T", and an honest log still has exactly that record.
 */

/** Another log the service anchored for the same host name. */
export interface OtherLog {
  readonly log_id: string;
  readonly host: string;
  readonly first_received_at: string;
  readonly checkpoints: number;
  readonly latest: CheckpointPayload;
}

export interface ServiceView {
  /** The checkpoints of this log, verified. */
  readonly checkpoints: readonly CheckpointPayload[];
  readonly otherLogs: readonly OtherLog[];
}

export interface Comparison {
  readonly problems: Finding<ProblemCode>[];
  readonly warnings: Finding<WarningCode>[];
}

const short = (hash: string): string => `${hash.slice(0, 12)}…`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function compareWithService(report: Pick<VerifyReport, 'head' | 'hashes' | 'lines'>, view: ServiceView): Comparison {
  const problems: Finding<ProblemCode>[] = [];
  const warnings: Finding<WarningCode>[] = [];
  const { head } = report;
  const checkpoints = [...view.checkpoints].sort((a, b) => a.seq - b.seq || Date.parse(a.received_at) - Date.parse(b.received_at));

  if (checkpoints.length === 0) {
    warnings.push({
      code: 'never_anchored',
      line: 0,
      message:
        'the approval service holds no checkpoint of this log, so a cut tail or a rewrite cannot be detected (gate anchors the head with each approval request, and every 5 minutes while a server is configured; `gate audit anchor` anchors it now)',
    });
  }

  const beyond = checkpoints.filter((c) => head === undefined || c.seq > head.seq);
  const top = beyond.at(-1);
  if (top !== undefined) {
    const end = head === undefined ? 'the log has no complete record' : `the log ends at record ${head.seq}`;
    const more = beyond.length > 1 ? ` (${plural(beyond.length - 1, 'more checkpoint')} also lie beyond the end)` : '';
    problems.push({
      code: 'cut_tail',
      line: report.lines + 1,
      seq: top.seq,
      message: `the approval service saw record ${top.seq} (anchored at ${top.received_at}, reported by ${top.by}) but ${end}: its tail was cut, or it was rolled back to an older copy${more}`,
    });
  }

  const differing = checkpoints.filter((c) => {
    const local = head !== undefined && c.seq <= head.seq ? report.hashes.get(c.seq) : undefined;
    // A hole (a line that could not be read) is already a problem of its own.
    return local !== undefined && local !== c.hash;
  });
  const first = differing[0];
  if (first !== undefined) {
    const more = differing.length > 1 ? `; ${plural(differing.length - 1, 'later checkpoint')} differ${differing.length === 2 ? 's' : ''} too` : '';
    problems.push({
      code: 'rewritten',
      line: first.seq + 1,
      seq: first.seq,
      message: `record ${first.seq} is not the record the approval service anchored at ${first.received_at} (hash ${short(first.hash)} there, ${short(report.hashes.get(first.seq)!)} here): the log was rewritten from there on and re-signed${more}`,
    });
  }

  for (const c of checkpoints) {
    if (c.conflict === undefined) continue;
    const what =
      c.conflict.kind === 'forked'
        ? `a different record ${c.seq} (hash ${short(c.hash)}) than the one anchored at ${c.conflict.received_at} (hash ${short(c.conflict.hash)}): the log was rewritten`
        : `record ${c.seq} after record ${c.conflict.seq} had been anchored at ${c.conflict.received_at}: the log was cut or rolled back`;
    problems.push({ code: 'head_conflict', line: 0, seq: c.seq, message: `at ${c.received_at}, ${c.by} reported ${what} (flagged by the approval service)` });
  }

  const firstAnchored = checkpoints.reduce<string | undefined>((min, c) => (min === undefined || c.received_at < min ? c.received_at : min), undefined);
  const lastAnchored = checkpoints.reduce<string | undefined>((max, c) => (max === undefined || c.received_at > max ? c.received_at : max), undefined);
  for (const other of view.otherLogs) {
    const span = `${plural(other.checkpoints, 'checkpoint')} from ${other.first_received_at}, up to record ${other.latest.seq} at ${other.latest.received_at}`;
    const when =
      firstAnchored === undefined
        ? 'and this log was never anchored: a wholesale rewrite under a new key?'
        : lastAnchored !== undefined && other.latest.received_at > lastAnchored
          ? 'still after the last checkpoint of this one: this log is not the one the host writes now.'
          : `before this log was first anchored (${firstAnchored}): a wholesale rewrite under a new key, or the host key was replaced?`;
    problems.push({
      code: 'other_log',
      line: 0,
      message: `the approval service also anchored log ${other.log_id} for host ${JSON.stringify(other.host)} (${span}), ${when} Verify that log too (gate audit verify --log FILE --key KEY --server)`,
    });
  }
  return { problems, warnings };
}
