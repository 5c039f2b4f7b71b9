import type { CheckpointList, HostLogs, LogHeadWire, SignedCheckpoint } from '../approval/protocol.js';
import { signCheckpoint } from '../audit/anchor/checkpoint.js';
import { headSignatureProblem } from '../audit/anchor/head-signature.js';
import { describeConflict } from './audit-heads.js';
import type { Anchored, ServiceLogPage } from './audit-store.js';
import { iso, type Clock } from './clock.js';
import { ApiError, badRequest } from './errors.js';
import type { ServerKeyPair } from './keys.js';
import type { Store } from './store/store.js';
import type { PrincipalRecord } from './types.js';

/** Who may download the service's own log: human principals in this group. */
export const AUDITOR_GROUP = 'auditor';

export interface AuditServiceOptions {
  readonly store: Store;
  readonly key: ServerKeyPair;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

/**
 * The audit side of the approval service: anchors host log heads (signed checkpoints) and serves
 * the checkpoints and the service's own log. A head that contradicts earlier ones is stored,
 * flagged and logged, but never refused, and never blocks an approval: the host whose log was cut
 * is exactly the one whose evidence we want, and refusing its requests would only move its
 * commands off the record (break-glass); `gate audit verify --server` reports the conflict.
 */
export class AuditService {
  constructor(private readonly options: AuditServiceOptions) {}

  anchor(actor: PrincipalRecord, signed: LogHeadWire, host: string): SignedCheckpoint {
    const { store, key, clock, log } = this.options;
    const problem = headSignatureProblem(signed, clock());
    if (problem !== undefined) throw badRequest(`log head refused: ${problem}`);
    const head = { log_id: signed.log_id, seq: signed.seq, hash: signed.hash };
    const anchored: Anchored = store.audit.anchor(
      { ...head, host, principal: { id: actor.id, name: actor.name }, received_at: iso(clock()) },
      (payload) => signCheckpoint({ ...payload, key_id: key.keyId }, key.privateKey),
    );
    const conflict = anchored.checkpoint.payload.conflict;
    if (anchored.stored && conflict !== undefined) {
      log(`audit: log ${head.log_id} of host ${JSON.stringify(host)} (reported by ${actor.name}) ${describeConflict(head, conflict)}`);
    }
    return anchored.checkpoint;
  }

  /** Anchors a head that came along with another call; a failure is logged, never passed on to that call. */
  anchorAlong(actor: PrincipalRecord, head: LogHeadWire | undefined, host: string): { checkpoint?: SignedCheckpoint } {
    if (head === undefined) return {};
    try {
      return { checkpoint: this.anchor(actor, head, host) };
    } catch (error) {
      this.options.log(`audit: could not anchor head ${head.seq} of log ${head.log_id}: ${error instanceof Error ? error.message : String(error)}`);
      return {};
    }
  }

  checkpoints(logId: string, after: number, limit: number): CheckpointList {
    return { log_id: logId, ...this.options.store.audit.checkpoints(logId, after, limit) };
  }

  hostLogs(host: string): HostLogs {
    return { host, logs: this.options.store.audit.hostLogs(host) };
  }

  /** The service log's lines after `afterSeq`, for auditors only. */
  serviceLog(actor: PrincipalRecord, afterSeq: number, limit: number): ServiceLogPage & { readonly logId: string } {
    if (actor.kind !== 'human' || !actor.groups.includes(AUDITOR_GROUP)) {
      throw new ApiError('forbidden', `the service's audit log is for human principals in group "${AUDITOR_GROUP}"; ${actor.name} is not one (an admin can issue such a token: gate token create --kind human --groups ${AUDITOR_GROUP} ...)`);
    }
    const { audit } = this.options.store;
    if (audit.logId === undefined) throw new ApiError('not_found', 'this service keeps no audit log (its store was opened without the server key)');
    return { logId: audit.logId, ...audit.lines(afterSeq, limit) };
  }
}
