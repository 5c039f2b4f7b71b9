/**
 * The audit record, format version 1: what one line of an audit log says. Every log (a host's
 * `gate` log, the approval service's own log) shares the envelope; the events differ.
 *
 * A line on disk is `JCS(record) TAB base64(Ed25519(JCS(record))) LF` (see line.ts and
 * docs/audit.md), and `prev` is the SHA-256 of the previous line's bytes including its LF, so the
 * chain covers the signatures too.
 */
import type { JsonValue } from '../../json.js';

export const FORMAT_VERSION = 1;
/** `prev` of the first record. */
export const GENESIS_PREV = '0'.repeat(64);

export interface Envelope<E extends string, D> {
  readonly v: typeof FORMAT_VERSION;
  /** Key id of the signing key (16 hex of sha256(SPKI)): names the log. */
  readonly log: string;
  /** 0, 1, 2 ... with no gaps. */
  readonly seq: number;
  /** Hex SHA-256 of the previous line (with its LF); 64 zeros for seq 0. */
  readonly prev: string;
  /** When the record was written (RFC 3339, UTC, milliseconds). */
  readonly at: string;
  readonly event: E;
  readonly data: D;
}

/** Exactly what ran or would have run; the same fields a receipt's command digest binds. */
export interface RecordedCommand {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly host: string;
  /** Empty when gate could not resolve the program (not found, or failed before). */
  readonly program_path: string;
  readonly shell_text?: string;
}

export interface RecordedPrincipal {
  readonly name: string;
  readonly kind: 'human' | 'agent' | 'ci';
  /** `server` when the approval service authenticated it by token; `local` when only this machine says so. */
  readonly source: 'server' | 'local';
}

export interface RecordedApproval {
  readonly name: string;
  readonly kind: string;
  readonly groups: readonly string[];
  readonly channel: string;
  readonly at: string;
  readonly comment?: string;
}

/** The approval service's part of a command record: who decided, how, and the signed proof. */
export interface RecordedRequest {
  readonly id: string;
  readonly server: string;
  /** base64 SPKI of the key that signs the service's receipts, as this host pinned it. */
  readonly server_key: string;
  readonly status: string;
  readonly url: string;
  readonly created_at: string;
  readonly decided_at?: string;
  readonly requirement: JsonValue;
  readonly progress: string;
  readonly approvals: readonly RecordedApproval[];
  readonly denial?: { readonly by: string; readonly reason: string; readonly at: string; readonly by_policy: boolean };
  readonly questions: readonly { readonly by: string; readonly question: string; readonly at: string; readonly answer?: string; readonly answered_at?: string }[];
  /** The signed receipt exactly as the service issued it (payload + base64 signature). */
  readonly receipt?: { readonly payload: JsonValue; readonly signature: string };
}

export type Decision = 'allow' | 'approve' | 'deny';

/** Why a command did not run. */
export type NotRunOutcome = 'denied_by_policy' | 'denied_by_approver' | 'expired' | 'cancelled' | 'failed_closed';

/** What a command record says about the request and its decision (started or not run). */
export interface CommandContext {
  readonly host: string;
  readonly os_user: string;
  readonly principal: RecordedPrincipal;
  readonly on_behalf_of?: string;
  readonly reason?: string;
  readonly environment?: string;
  readonly ci?: JsonValue;
  /** --context key=value pairs. */
  readonly custom?: Readonly<Record<string, string>>;
  readonly command: RecordedCommand;
  readonly policy: {
    /** sha256 of the policy set in force; empty when the policy could not be loaded. */
    readonly digest: string;
    readonly decision?: Decision;
    readonly rules: readonly string[];
    readonly signals: readonly string[];
  };
  readonly request?: RecordedRequest;
  readonly times: { readonly requested: string; readonly decided?: string; readonly started?: string };
}

export interface LogOpened {
  readonly host: string;
  /** base64 SPKI of the key that signs this log. */
  readonly public_key: string;
  readonly gate_version: string;
}

export interface CommandStarted extends CommandContext {
  readonly times: CommandContext['times'] & { readonly started: string };
}

export interface CommandNotRun extends CommandContext {
  readonly outcome: NotRunOutcome;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface CommandEnded {
  /** seq of the command.started record this ends. */
  readonly start_seq: number;
  readonly request_id?: string;
  readonly outcome: 'exited' | 'signaled' | 'spawn_failed';
  readonly exit_code: number;
  readonly signal?: string;
  readonly message?: string;
  readonly duration_ms: number;
  readonly times: { readonly started: string; readonly ended: string };
}

/** Written when an append found a partial last line (a crash mid-write): the bytes are kept, not lost. */
export interface LogRecovered {
  readonly partial_base64: string;
  readonly partial_bytes: number;
}

/** The approval service's log: one record per committed request event, plus anchored heads. */
export interface ServiceEvent {
  readonly request_id: string;
  readonly type: string;
  readonly event_seq: number;
  readonly request: JsonValue;
}

export interface HeadAnchored {
  readonly log_id: string;
  readonly host: string;
  readonly seq: number;
  readonly hash: string;
  readonly by: string;
  /** The head went backwards or forked from one anchored earlier: the host's log was cut or rewritten. */
  readonly conflict?: string;
}

/** A token holder was created or revoked on the approval service (access management evidence). */
export interface PrincipalChanged {
  readonly action: 'created' | 'revoked';
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly groups: readonly string[];
}

export type AuditRecord =
  | Envelope<'log.opened', LogOpened>
  | Envelope<'log.recovered', LogRecovered>
  | Envelope<'command.started', CommandStarted>
  | Envelope<'command.ended', CommandEnded>
  | Envelope<'command.not_run', CommandNotRun>
  | Envelope<'service.event', ServiceEvent>
  | Envelope<'service.head', HeadAnchored>
  | Envelope<'service.principal', PrincipalChanged>;

export type AuditEvent = AuditRecord['event'];
export type EventData<E extends AuditEvent> = Extract<AuditRecord, { event: E }>['data'];

export const AUDIT_EVENTS: readonly AuditEvent[] = ['log.opened', 'log.recovered', 'command.started', 'command.ended', 'command.not_run', 'service.event', 'service.head', 'service.principal'];

/** What a log's next record needs from its current head. */
export interface LogHead {
  readonly seq: number;
  /** Hex SHA-256 of the last line. */
  readonly hash: string;
}
