import type { CheckpointPayload, HostLogs, SignedCheckpoint } from '../approval/protocol.js';

/**
 * What the store keeps for auditing: the signed checkpoints of host log heads (anchoring) and the
 * service's own hash-chained, signed log. The log itself is written by the store inside the same
 * transaction as each change it records (request events, principals, anchored heads).
 */
export interface AuditStore {
  /** The service log's id (the key id of the store's signing key); undefined: the store keeps no log. */
  readonly logId: string | undefined;
  /**
   * Judges and stores a received head in one write transaction, signing its checkpoint with `sign`
   * (a head seen before is answered with its first checkpoint and not stored again).
   */
  anchor(head: HeadInput, sign: (payload: Omit<CheckpointPayload, 'key_id'>) => SignedCheckpoint): Anchored;
  /** A log's checkpoints in the order received, after the cursor `after` (0: from the first); `next` when more follow. */
  checkpoints(logId: string, after: number, limit: number): { readonly checkpoints: SignedCheckpoint[]; readonly next?: number };
  /** Every log anchored for a host name, oldest first. */
  hostLogs(host: string): HostLogs['logs'];
  /**
   * The service log's lines with seq > afterSeq (at most `limit`), exactly as stored; the seq of the
   * last one returned, and of the log's last line (-1: empty).
   */
  lines(afterSeq: number, limit: number): ServiceLogPage;
}

export interface HeadInput {
  readonly log_id: string;
  readonly seq: number;
  readonly hash: string;
  readonly host: string;
  readonly principal: { readonly id: string; readonly name: string };
  readonly received_at: string;
}

export interface Anchored {
  readonly checkpoint: SignedCheckpoint;
  /** False when the same head had been anchored before (nothing new was stored). */
  readonly stored: boolean;
}

export interface ServiceLogPage {
  readonly lines: Buffer[];
  readonly lastSeq?: number;
  readonly headSeq: number;
}
