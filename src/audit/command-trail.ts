import '../bundle-layout.js'; // see src/bundle-layout.ts
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ApprovalRequest, LogHeadWire } from '../approval/protocol.js';
import type { UserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { parseContextPairs } from '../context/custom.js';
import { detectCi } from '../context/ci.js';
import { osUser } from '../context/os-user.js';
import { loadOrCreateSigningKey } from '../crypto/signing-key.js';
import type { ExecOutcome } from '../exec/run.js';
import type { JsonValue } from '../json.js';
import type { Decision, RequesterKind } from '../policy/index.js';
import { anchorIfDue } from './anchor/due.js';
import { AuditLogFile } from './log/log-file.js';
import type { CommandContext, CommandNotRun, LogHead, NotRunOutcome, RecordedRequest } from './log/record.js';

export const auditDir = (home: string): string => join(home, 'audit');
export const hostKeyPath = (home: string): string => join(auditDir(home), 'host-key.pem');

/** GATE_AUDIT_LOG, then `gate config set auditLog`, then `<GATE_HOME>/audit/audit.log`. */
export function auditLogPath(home: string, env: NodeJS.ProcessEnv, config: UserConfig): string {
  return env.GATE_AUDIT_LOG || config.auditLog || join(auditDir(home), 'audit.log');
}

/** This host's log, signing with this host's key (created on first use). */
export function openHostLog(home: string, env: NodeJS.ProcessEnv, config: UserConfig): AuditLogFile {
  const key = loadOrCreateSigningKey(hostKeyPath(home), 'the audit host key');
  return new AuditLogFile({ path: auditLogPath(home, env, config), key, host: hostname(), gateVersion: gateVersion() });
}

/** What the run path knows about one command before anything is decided by a human. */
export interface CommandFacts {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly programPath: string;
  readonly shellText?: string;
  /** Undefined when the policy could not be loaded. */
  readonly decision?: Decision;
  readonly policyDigest: string;
  readonly requester: RequesterKind;
  readonly requestedAt: Date;
  readonly options: { readonly reason?: string; readonly onBehalfOf?: string; readonly environment?: string; readonly context: readonly string[] };
}

/** How the approval service was asked, for the record. */
export interface ServiceFacts {
  readonly request: ApprovalRequest;
  readonly serverUrl: string;
  readonly serverKey: string;
}

/**
 * The audit side of one `gate` command: one record when it does not run (why), or a started
 * record (fsynced before the command starts) and an ended record. Built once per command from its
 * facts, so the run path only says what happened.
 */
export class CommandTrail {
  private startSeq: number | undefined;
  private startedAt: Date | undefined;
  private requestId: string | undefined;

  constructor(
    private readonly home: string,
    private readonly log: AuditLogFile,
    private readonly facts: CommandFacts,
    private readonly env: NodeJS.ProcessEnv,
    private readonly config: UserConfig,
  ) {}

  head(): LogHead | undefined {
    return this.log.head();
  }

  get logId(): string {
    return this.log.logId;
  }

  /** `head`, signed by this log's key, as the approval service takes it with a request or an outcome. */
  signedHead(head: LogHead): LogHeadWire {
    return this.log.signedHead(head);
  }

  /** For records the approval service did not see with a request: push the head when an anchor is due. Never throws. */
  async anchorIfDue(head: LogHead): Promise<void> {
    await anchorIfDue(this.home, this.config, this.env, this.log.signedHead(head));
  }

  /** Nothing ran: say why. Returns the new head. */
  notRun(outcome: NotRunOutcome, extra: { readonly service?: ServiceFacts; readonly error?: unknown } = {}): LogHead {
    const data: CommandNotRun = {
      ...this.context(extra.service),
      outcome,
      ...(extra.error !== undefined ? { error: describeError(extra.error) } : {}),
    };
    return this.log.append('command.not_run', data).head;
  }

  /** Must succeed before the command starts: when it throws, the command does not run. */
  started(service: ServiceFacts | undefined): LogHead {
    const at = new Date();
    const context = this.context(service);
    const appended = this.log.append('command.started', { ...context, times: { ...context.times, started: at.toISOString() } });
    this.startSeq = appended.record.seq;
    this.startedAt = at;
    this.requestId = service?.request.id;
    return appended.head;
  }

  ended(outcome: ExecOutcome): LogHead {
    if (this.startSeq === undefined || this.startedAt === undefined) throw new Error('ended() before started()');
    const ended = new Date();
    return this.log.append('command.ended', {
      start_seq: this.startSeq,
      ...(this.requestId !== undefined ? { request_id: this.requestId } : {}),
      outcome: outcome.kind === 'spawn-failed' ? 'spawn_failed' : outcome.kind,
      exit_code: outcome.code,
      ...(outcome.kind === 'signaled' ? { signal: outcome.signal } : {}),
      ...(outcome.kind === 'spawn-failed' ? { message: outcome.message } : {}),
      duration_ms: outcome.durationMs,
      times: { started: this.startedAt.toISOString(), ended: ended.toISOString() },
    }).head;
  }

  private context(service: ServiceFacts | undefined): CommandContext {
    const { facts, env } = this;
    const request = service?.request;
    const ctx = request?.context;
    const onBehalfOf = ctx?.on_behalf_of ?? nonEmpty(facts.options.onBehalfOf ?? env.GATE_ON_BEHALF_OF);
    const reason = ctx?.reason ?? nonEmpty(facts.options.reason);
    const environment = ctx?.environment ?? nonEmpty(facts.options.environment ?? env.GATE_ENVIRONMENT);
    const ci = ctx?.ci ?? detectCi(env);
    let custom: Record<string, string> | undefined = ctx?.custom as Record<string, string> | undefined;
    if (custom === undefined && facts.options.context.length > 0) {
      try {
        custom = parseContextPairs(facts.options.context);
      } catch {
        custom = undefined;
      }
    }
    const decision = facts.decision;
    return {
      host: request?.command.host ?? hostname(),
      os_user: ctx?.os_user ?? osUser(env),
      principal:
        request !== undefined
          ? { name: request.requester.name, kind: request.requester.kind, source: 'server' }
          : { name: this.config.identity?.name ?? osUser(env), kind: facts.requester, source: 'local' },
      ...(onBehalfOf !== undefined ? { on_behalf_of: onBehalfOf } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(environment !== undefined ? { environment } : {}),
      ...(ci !== undefined ? { ci: ci as unknown as JsonValue } : {}),
      ...(custom !== undefined && Object.keys(custom).length > 0 ? { custom } : {}),
      command: request?.command ?? {
        argv: [...facts.argv],
        cwd: facts.cwd,
        host: hostname(),
        program_path: facts.programPath,
        ...(facts.shellText !== undefined ? { shell_text: facts.shellText } : {}),
      },
      policy: {
        digest: facts.policyDigest,
        ...(decision !== undefined ? { decision: decision.kind } : {}),
        rules: decision === undefined ? [] : [...new Set(decision.matches.filter((m) => m.effect === decision.kind).map((m) => m.rule.id))],
        signals: decision === undefined ? [] : [...new Set(decision.signals.filter((s) => s.decision === decision.kind && s.waived === undefined).map((s) => s.signal.name))],
      },
      ...(service !== undefined ? { request: recordedRequest(service) } : {}),
      times: {
        requested: facts.requestedAt.toISOString(),
        ...(request?.decided_at !== undefined ? { decided: request.decided_at } : decision !== undefined && request === undefined ? { decided: facts.requestedAt.toISOString() } : {}),
      },
    };
  }
}

function recordedRequest({ request, serverUrl, serverKey }: ServiceFacts): RecordedRequest {
  return {
    id: request.id,
    server: serverUrl,
    server_key: serverKey,
    status: request.status,
    url: request.url,
    created_at: request.created_at,
    ...(request.decided_at !== undefined ? { decided_at: request.decided_at } : {}),
    requirement: request.requirement as unknown as JsonValue,
    progress: request.progress,
    approvals: request.approvals.map((a) => ({
      name: a.approver,
      kind: a.kind,
      groups: [...a.groups],
      channel: a.channel,
      at: a.at,
      ...(a.comment !== undefined ? { comment: a.comment } : {}),
    })),
    ...(request.denial !== undefined ? { denial: { ...request.denial } } : {}),
    questions: request.questions.map((q) => ({
      by: q.by,
      question: q.question,
      at: q.at,
      ...(q.answer !== undefined ? { answer: q.answer } : {}),
      ...(q.answered_at !== undefined ? { answered_at: q.answered_at } : {}),
    })),
    ...(request.receipt !== undefined ? { receipt: { payload: request.receipt.payload as unknown as JsonValue, signature: request.receipt.signature } } : {}),
  };
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown; problem?: unknown }).problem ?? (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : error.name, message: error.message };
  }
  return { code: 'unknown', message: String(error) };
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === '' ? undefined : s);

