import type { KeyObject } from 'node:crypto';
import { commandDigest } from '../../approval/digest.js';
import type { CommandSpec } from '../../approval/protocol.js';
import { keyId, publicKeyFromBase64, ReceiptError, spkiBase64, verifyReceipt } from '../../approval/receipt.js';
import { signatureValid, splitLine, splitLines, TAB, type RawLine } from './line.js';
import { AUDIT_EVENTS, FORMAT_VERSION, GENESIS_PREV, type AuditEvent, type AuditRecord, type LogHead } from './record.js';

/** Everything that can be wrong with a log, one code per cause. */
export type ProblemCode =
  | 'malformed_line'
  | 'bad_json'
  | 'bad_record'
  | 'bad_signature'
  | 'wrong_log'
  | 'seq_gap'
  | 'seq_out_of_order'
  | 'chain_break'
  | 'bad_genesis'
  | 'untrusted_key'
  | 'bad_receipt'
  | 'untrusted_receipt_key'
  | 'orphan_end'
  | 'empty_log'
  // Against the approval service's signed checkpoints (gate audit verify --server, anchor-compare.ts):
  | 'cut_tail'
  | 'rewritten'
  | 'head_conflict'
  | 'other_log'
  | 'bad_checkpoint'
  | 'untrusted_service_key'
  | 'server_unavailable';

/** Findings that do not mean tampering but that an auditor must read. */
export type WarningCode = 'partial_tail' | 'unfinished_command' | 'recovered_partial' | 'clock_backwards' | 'never_anchored';

export interface Finding<C extends string> {
  readonly code: C;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly seq?: number;
  readonly message: string;
}

export interface VerifyReport {
  /** Complete lines read. */
  readonly lines: number;
  /** Records whose signature verified and whose place in the chain is right. */
  readonly verified: number;
  readonly log?: string;
  /** The last complete record (what anchoring compares against). */
  readonly head?: LogHead;
  /** Hash of each line by seq (for anchoring checks); holes where a line could not be read. */
  readonly hashes: ReadonlyMap<number, string>;
  readonly problems: readonly Finding<ProblemCode>[];
  readonly warnings: readonly Finding<WarningCode>[];
  /** Time range of the records that parsed. */
  readonly first_at?: string;
  readonly last_at?: string;
  /**
   * Lines whose signature was not known yet when their record was checked (signatureOk returned
   * undefined); settleSignatures() folds their results in. Absent when every signature was known.
   */
  readonly pendingSignatures?: readonly PendingSignature[];
}

export interface PendingSignature {
  readonly index: number;
  readonly line: number;
  readonly seq: number;
  /** Counted in `verified` on the assumption that the signature is good. */
  readonly counted: boolean;
}

export interface VerifyOptions {
  /** The key the log must be signed with; pinned by the auditor or read from this host. */
  readonly publicKey: KeyObject;
  /** Keys trusted to sign approval receipts (base64 SPKI). */
  readonly serverKeys: ReadonlySet<string>;
  /**
   * Signature check per line, called in line order; defaults to a synchronous Ed25519 check.
   * verify-file.ts passes one it shares with worker threads (signatures.ts).
   */
  readonly signatureOk?: (index: number, raw: RawLine) => boolean | undefined;
  /** An Ed25519 check for a service key, for receipts; defaults to node:crypto. verify-file.ts passes libsodium's. */
  readonly checkerFor?: (publicKey: KeyObject) => (message: Uint8Array, signature: Uint8Array) => boolean;
}

const SKEW_MS = 30_000;

/** An approval service's key, parsed once per log (parsing costs more than checking a receipt). */
interface ServiceKey {
  readonly publicKey: KeyObject;
  readonly check: ((message: Uint8Array, signature: Uint8Array) => boolean) | undefined;
}

/**
 * Verifies a whole log: every line's signature, the hash chain, sequence continuity, that the log
 * names the expected key, and every approval receipt against the trusted service keys. Pure: the
 * caller reads the bytes and the keys. Reports every finding with its line, never stops at the first.
 */
export function verifyLog(bytes: Buffer, options: VerifyOptions): VerifyReport {
  const signatureOk = options.signatureOk ?? ((_index: number, raw: RawLine) => signatureValid(raw, options.publicKey));
  const { lines, partial } = splitLines(bytes);
  const problems: Finding<ProblemCode>[] = [];
  const warnings: Finding<WarningCode>[] = [];
  const hashes = new Map<number, string>();
  const expectedLog = keyId(options.publicKey);
  const spki = spkiBase64(options.publicKey);
  const started = new Map<number, { line: number; request?: string; ended: boolean }>();
  // Parsing a key costs more than checking a receipt with it: once per service key per log.
  const serviceKeys = new Map<string, ServiceKey>();
  let expectedSeq = 0;
  let prevHash = GENESIS_PREV;
  let verified = 0;
  let head: LogHead | undefined;
  let firstAt: string | undefined;
  let lastAt: string | undefined;
  let lastTime = -Infinity;
  const pending: PendingSignature[] = [];

  const problem = (code: ProblemCode, line: number, message: string, seq?: number): void => {
    problems.push({ code, line, message, ...(seq !== undefined ? { seq } : {}) });
  };

  lines.forEach((bytesOfLine, index) => {
    const lineNo = index + 1;
    const split = splitLine(bytesOfLine);
    if (!split.ok) {
      problem('malformed_line', lineNo, `line ${lineNo} is not a gate audit record: ${split.problem}`);
      expectedSeq++;
      prevHash = '';
      return;
    }
    const raw = split.raw;
    let record: AuditRecord;
    try {
      record = JSON.parse(raw.body.toString('utf8')) as AuditRecord;
    } catch {
      problem('bad_json', lineNo, `line ${lineNo}: the record is not valid JSON`);
      expectedSeq++;
      prevHash = raw.hash;
      return;
    }
    const shape = shapeProblem(record);
    if (shape !== undefined) {
      problem('bad_record', lineNo, `line ${lineNo}: ${shape}`);
      expectedSeq++;
      prevHash = raw.hash;
      return;
    }
    const seq = record.seq;
    let intact = true;
    const signed = signatureOk(index, raw);
    if (signed === false) {
      problem('bad_signature', lineNo, badSignature(seq, lineNo, expectedLog), seq);
      intact = false;
    }
    if (record.log !== expectedLog) {
      problem('wrong_log', lineNo, `record ${seq} (line ${lineNo}) belongs to log ${record.log}, not ${expectedLog}`, seq);
      intact = false;
    }
    if (seq !== expectedSeq) {
      if (seq > expectedSeq) {
        const missing = seq - expectedSeq === 1 ? `record ${expectedSeq} is missing` : `records ${expectedSeq}-${seq - 1} are missing`;
        problem('seq_gap', lineNo, `line ${lineNo}: expected record ${expectedSeq}, found ${seq}: ${missing}`, seq);
      } else {
        problem('seq_out_of_order', lineNo, `line ${lineNo}: expected record ${expectedSeq}, found ${seq}: records were reordered or duplicated`, seq);
      }
      intact = false;
    }
    if (record.prev !== prevHash && prevHash !== '') {
      const before = index === 0 ? 'the start of the log (64 zeros)' : `line ${lineNo - 1}`;
      problem('chain_break', lineNo, `record ${seq} (line ${lineNo}): prev does not match the hash of ${before}: a record before it was changed, removed or inserted`, seq);
      intact = false;
    }
    if (index === 0 || record.event === 'log.opened') {
      const genesis = genesisProblem(record, index, spki);
      if (genesis !== undefined) {
        problem(genesis.code, lineNo, `record ${seq} (line ${lineNo}): ${genesis.message}`, seq);
        intact = false;
      }
    }
    const time = Date.parse(record.at);
    if (time + SKEW_MS < lastTime) warnings.push({ code: 'clock_backwards', line: lineNo, seq, message: `record ${seq} is dated ${record.at}, before the record above it` });
    // Against the record above only: one damaged timestamp must not flag every record after it.
    lastTime = time;
    firstAt ??= record.at;
    lastAt = record.at;

    let findings: EventFinding[];
    try {
      findings = eventFindings(record, lineNo, options, started, serviceKeys);
    } catch {
      // shapeProblem vets every field read above; this only keeps a gap there from crashing verify.
      findings = [{ problem: { code: 'bad_record', line: lineNo, seq, message: `record ${seq} (line ${lineNo}): its data cannot be checked` } }];
    }
    for (const finding of findings) {
      if ('warning' in finding) warnings.push(finding.warning);
      else {
        problems.push(finding.problem);
        intact = false;
      }
    }
    if (intact) verified++;
    if (signed === undefined) pending.push({ index, line: lineNo, seq, counted: intact });
    hashes.set(seq, raw.hash);
    head = { seq, hash: raw.hash };
    expectedSeq = seq + 1;
    prevHash = raw.hash;
  });

  for (const [seq, start] of started) {
    if (!start.ended) {
      warnings.push({ code: 'unfinished_command', line: start.line, seq, message: `record ${seq} (line ${start.line}): the command started but no end was recorded (gate was killed, or the machine stopped, while it ran)` });
    }
  }
  if (partial !== undefined && !couldBeLineStart(partial)) {
    const lineNo = lines.length + 1;
    problems.push({
      code: 'malformed_line',
      line: lineNo,
      message: `line ${lineNo}: the last ${partial.length} bytes have no newline and are not the beginning of a gate record (an interrupted write leaves only the beginning of one): the end of the log was altered; the ${lines.length} complete lines above it were checked`,
    });
  } else if (partial !== undefined) {
    const lineNo = lines.length + 1;
    warnings.push({
      code: 'partial_tail',
      line: lineNo,
      message: `line ${lineNo} is an incomplete record (${partial.length} bytes, no newline): a write was interrupted (crash or full disk); the ${lines.length} complete lines above it were checked, and the next append keeps these bytes in a log.recovered record`,
    });
  }
  if (lines.length === 0) problems.push({ code: 'empty_log', line: 1, message: 'the log has no complete record' });
  return {
    lines: lines.length,
    verified,
    ...(head !== undefined ? { head, log: expectedLog } : {}),
    hashes,
    problems,
    warnings,
    ...(firstAt !== undefined ? { first_at: firstAt } : {}),
    ...(lastAt !== undefined ? { last_at: lastAt } : {}),
    ...(pending.length > 0 ? { pendingSignatures: pending } : {}),
  };
}

const badSignature = (seq: number, line: number, log: string): string =>
  `record ${seq} (line ${line}): the signature does not verify with key ${log}: the record was altered or signed by another key`;

/**
 * Folds in the signatures that were still being checked (by worker threads) when verifyLog saw
 * their records: a bad one becomes a problem in line order, and its record no longer counts.
 */
export function settleSignatures(report: VerifyReport, valid: (index: number) => boolean): VerifyReport {
  const { pendingSignatures, ...rest } = report;
  if (pendingSignatures === undefined) return report;
  const bad = pendingSignatures.filter((p) => !valid(p.index));
  if (bad.length === 0) return rest;
  const log = report.log ?? '?';
  const problems = [...report.problems, ...bad.map((p): Finding<ProblemCode> => ({ code: 'bad_signature', line: p.line, seq: p.seq, message: badSignature(p.seq, p.line, log) }))];
  // Stable: on one line, the signature problem comes first, as verifyLog itself reports it.
  problems.sort((a, b) => a.line - b.line || Number(b.code === 'bad_signature') - Number(a.code === 'bad_signature'));
  return { ...rest, problems, verified: report.verified - bad.filter((p) => p.counted).length };
}

function shapeProblem(record: AuditRecord): string | undefined {
  const r = record as unknown as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'the record is not a JSON object';
  if (r.v !== FORMAT_VERSION) return `unknown format version ${JSON.stringify(r.v)} (this gate reads version ${FORMAT_VERSION})`;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0) return 'seq is not a non-negative integer';
  if (typeof r.prev !== 'string' || !/^[0-9a-f]{64}$/.test(r.prev)) return 'prev is not a hex SHA-256';
  if (typeof r.log !== 'string') return 'log is missing';
  if (typeof r.at !== 'string' || !Number.isFinite(Date.parse(r.at))) return 'at is not a timestamp';
  if (!(AUDIT_EVENTS as readonly unknown[]).includes(r.event)) return `unknown event ${JSON.stringify(r.event)}`;
  if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data)) return 'data is missing';
  return dataProblem(r.event as AuditEvent, r.data as Record<string, unknown>);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isTime = (v: unknown): boolean => isString(v) && Number.isFinite(Date.parse(v));

/** The data fields the checks below read, per event: a record without them is reported, never a crash. */
function dataProblem(event: AuditEvent, data: Record<string, unknown>): string | undefined {
  switch (event) {
    case 'log.opened':
      return isString(data.public_key) ? undefined : 'log.opened has no public_key';
    case 'log.recovered':
      return Number.isSafeInteger(data.partial_bytes) && isString(data.partial_base64) ? undefined : 'log.recovered has no partial_bytes or partial_base64';
    case 'command.started':
    case 'command.not_run': {
      const { command: c, principal: p, times: t, request: q } = data;
      if (!isObject(c) || !Array.isArray(c.argv) || !c.argv.every(isString) || !isString(c.cwd) || !isString(c.host) || !isString(c.program_path) || (c.shell_text !== undefined && !isString(c.shell_text))) {
        return `${event}: command is not {argv, cwd, host, program_path}`;
      }
      if (!isObject(p) || !isString(p.name)) return `${event}: principal has no name`;
      if (!isObject(data.policy)) return `${event}: policy is missing`;
      if (!isObject(t) || !isTime(t.requested) || (event === 'command.started' && !isTime(t.started))) return `${event}: times are missing or not timestamps`;
      if (q !== undefined && (!isObject(q) || !isString(q.id) || !isString(q.server_key))) return `${event}: request has no id or server_key`;
      return undefined;
    }
    case 'command.ended':
      return Number.isSafeInteger(data.start_seq) ? undefined : 'command.ended: start_seq is not an integer';
    default:
      return undefined;
  }
}

/** Whether `bytes` (no newline) can be the beginning of a line gate wrote: all an interrupted write leaves. */
function couldBeLineStart(bytes: Buffer): boolean {
  const tab = bytes.indexOf(TAB);
  const body = tab === -1 ? bytes : bytes.subarray(0, tab);
  if (body.length > 0 && body[0] !== 0x7b) return false;
  // Canonical JSON escapes every control character.
  for (const byte of body) if (byte < 0x20) return false;
  if (tab === -1) return true;
  if (body[body.length - 1] !== 0x7d) return false;
  return /^(?:[A-Za-z0-9+/]{0,86}|[A-Za-z0-9+/]{86}={1,2})$/.test(bytes.subarray(tab + 1).toString('latin1'));
}

function genesisProblem(record: AuditRecord, index: number, spki: string): { code: ProblemCode; message: string } | undefined {
  if (index === 0 && record.event !== 'log.opened') return { code: 'bad_genesis', message: `the log does not start with log.opened: its beginning was cut` };
  if (index !== 0 && record.event === 'log.opened') return { code: 'bad_genesis', message: 'log.opened in the middle of the log: another log was spliced in' };
  if (record.event === 'log.opened' && record.data.public_key !== spki) {
    return { code: 'untrusted_key', message: 'the log was opened with a different key than the one it is verified with' };
  }
  return undefined;
}

type EventFinding = { problem: Finding<ProblemCode> } | { warning: Finding<WarningCode> };

/** Checks that depend on the event: receipts of approved commands, start/end pairing. */
function eventFindings(
  record: AuditRecord,
  line: number,
  options: VerifyOptions,
  started: Map<number, { line: number; request?: string; ended: boolean }>,
  serviceKeys: Map<string, ServiceKey>,
): EventFinding[] {
  const seq = record.seq;
  const out: EventFinding[] = [];
  switch (record.event) {
    case 'command.started': {
      const request = record.data.request;
      started.set(seq, { line, ended: false, ...(request !== undefined ? { request: request.id } : {}) });
      if (record.data.policy.decision === 'approve' || request !== undefined) {
        const message = receiptProblem(record.data, options, serviceKeys);
        if (message !== undefined) out.push({ problem: { code: message.code, line, seq, message: `record ${seq} (line ${line}): ${message.text}` } });
      }
      break;
    }
    case 'command.ended': {
      const start = started.get(record.data.start_seq);
      if (start === undefined || start.ended || start.request !== record.data.request_id) {
        const why = start === undefined ? `no command.started record ${record.data.start_seq} above it` : start.ended ? `record ${record.data.start_seq} was already ended` : `record ${record.data.start_seq} is for another request`;
        out.push({ problem: { code: 'orphan_end', line, seq, message: `record ${seq} (line ${line}) ends a command, but ${why}` } });
      } else {
        start.ended = true;
      }
      break;
    }
    case 'log.recovered':
      if (couldBeLineStart(Buffer.from(record.data.partial_base64, 'base64'))) {
        out.push({ warning: { code: 'recovered_partial', line, seq, message: `record ${seq} (line ${line}): an interrupted write left ${record.data.partial_bytes} bytes here; they are kept in this record` } });
      } else {
        // As for a partial tail: a crash leaves the beginning of a record, never other bytes.
        out.push({
          problem: {
            code: 'malformed_line',
            line,
            seq,
            message: `record ${seq} (line ${line}): the ${record.data.partial_bytes} bytes without a newline that an append found and kept here are not the beginning of a gate record: the end of the log had been altered`,
          },
        });
      }
      break;
    default:
      break;
  }
  return out;
}

/**
 * An approved command must carry the service's receipt, signed by a trusted key, for exactly the
 * recorded command and requester, and valid when the command started.
 */
function receiptProblem(
  data: Extract<AuditRecord, { event: 'command.started' }>['data'],
  options: VerifyOptions,
  serviceKeys: Map<string, ServiceKey>,
): { code: ProblemCode; text: string } | undefined {
  const request = data.request;
  if (request?.receipt === undefined) return { code: 'bad_receipt', text: 'an approved command without the approval service\'s receipt' };
  const keyOf = (spki: string): ServiceKey => {
    let key = serviceKeys.get(spki);
    if (key === undefined) {
      const publicKey = publicKeyFromBase64(spki);
      key = { publicKey, check: options.checkerFor?.(publicKey) };
      serviceKeys.set(spki, key);
    }
    return key;
  };
  if (!options.serverKeys.has(request.server_key)) {
    let id = '?';
    try {
      id = keyId(keyOf(request.server_key).publicKey);
    } catch {
      // Reported below as untrusted either way.
    }
    return { code: 'untrusted_receipt_key', text: `the receipt is signed by service key ${id}, which is not trusted here (pass --server-key, or verify on a host that pinned it)` };
  }
  const command: CommandSpec = data.command;
  try {
    const key = keyOf(request.server_key);
    verifyReceipt(request.receipt, key.publicKey, {
      ...(key.check !== undefined ? { checkSignature: key.check } : {}),
      requestId: request.id,
      commandDigest: commandDigest(command, data.principal.name),
      requester: data.principal.name,
      now: new Date(data.times.started ?? data.times.requested),
      skewSeconds: SKEW_MS / 1000,
    });
  } catch (error) {
    if (error instanceof ReceiptError) return { code: 'bad_receipt', text: `receipt: ${error.message}` };
    return { code: 'bad_receipt', text: 'receipt: unreadable' };
  }
  return undefined;
}
