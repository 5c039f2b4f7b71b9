import type { HeadConflict, SignedCheckpoint } from '../approval/protocol.js';

/**
 * How the service judges a host log head it receives against the heads it anchored before for the
 * same log. Pure: the store reads the rows and writes the verdict in one transaction.
 */

/** A head already anchored for the log, with the checkpoint that answered it. */
export interface AnchoredHead {
  readonly seq: number;
  readonly hash: string;
  readonly received_at: string;
  readonly checkpoint: SignedCheckpoint;
}

export interface KnownHeads {
  /** The highest head anchored for the log (the latest received among equal seqs). */
  readonly highest?: AnchoredHead;
  /** The first head anchored at the new head's seq. */
  readonly atSeq?: AnchoredHead;
  /** The same (seq, hash) anchored before. */
  readonly same?: AnchoredHead;
}

export type Verdict = { readonly kind: 'repeat'; readonly checkpoint: SignedCheckpoint } | { readonly kind: 'new'; readonly conflict?: HeadConflict };

/**
 * How late a lower head may arrive without counting as a regression. Several gate processes on
 * one host read the head and report it concurrently (a create request can take seconds to
 * arrive), so head 5 arriving just after head 6 is a race, not a rollback. A rollback that hides
 * in this window is still caught by `gate audit verify --server`, which compares every checkpoint
 * with the log itself.
 */
export const LATE_HEAD_GRACE_MS = 60_000;

/**
 * `forked`: a different hash at a seq already anchored (the log was rewritten); `regressed`: a
 * lower seq than the highest anchored one, past the grace (the log was cut or rolled back); a head
 * seen before is a repeat and answered with its first checkpoint (retries stay idempotent).
 */
export function judgeHead(head: { readonly seq: number; readonly hash: string }, known: KnownHeads, receivedMs: number): Verdict {
  if (known.same !== undefined) return { kind: 'repeat', checkpoint: known.same.checkpoint };
  const { atSeq, highest } = known;
  if (atSeq !== undefined && atSeq.hash !== head.hash) return { kind: 'new', conflict: conflictWith('forked', atSeq) };
  if (highest !== undefined && head.seq < highest.seq && receivedMs - Date.parse(highest.received_at) > LATE_HEAD_GRACE_MS) {
    return { kind: 'new', conflict: conflictWith('regressed', highest) };
  }
  return { kind: 'new' };
}

const conflictWith = (kind: HeadConflict['kind'], earlier: AnchoredHead): HeadConflict => ({
  kind,
  seq: earlier.seq,
  hash: earlier.hash,
  received_at: earlier.received_at,
});

/** One line for the server log and the service's audit record. */
export function describeConflict(head: { readonly seq: number; readonly hash: string }, conflict: HeadConflict): string {
  return conflict.kind === 'forked'
    ? `forked: record ${head.seq} reported with hash ${head.hash.slice(0, 12)}…, but ${conflict.hash.slice(0, 12)}… was anchored for it at ${conflict.received_at}: the log was rewritten`
    : `regressed: record ${head.seq} reported after record ${conflict.seq} was anchored at ${conflict.received_at}: the log was cut or rolled back`;
}
