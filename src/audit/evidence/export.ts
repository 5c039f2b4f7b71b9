import type { KeyObject } from 'node:crypto';
import { keyId, spkiBase64 } from '../../approval/receipt.js';
import type { JsonValue } from '../../json.js';
import { canonicalJson } from '../canonical.js';
import { evidenceCsv, type RowStatus } from './csv.js';
import type { LogEntry } from './entries.js';
import { inWindow, selectsCommands, type Query } from './filter.js';
import { splitLines } from '../log/line.js';
import { EXPORT_VERSION, queryRecord, sha256Hex, type Manifest, type ManifestKey } from './manifest.js';
import type { EvidenceRow } from './rows.js';
import type { VerifyReport } from '../log/verify.js';

/** One log, read and verified: what an export is made from. */
export interface ExportSource {
  readonly kind: 'host' | 'service';
  /** The log's path, or the service's URL. */
  readonly location: string;
  readonly bytes: Buffer;
  readonly entries: readonly LogEntry[];
  /** Every row of the log (selection happens here, so records between rows are known). */
  readonly rows: readonly EvidenceRow[];
  readonly selected: readonly { readonly row: EvidenceRow; readonly status: RowStatus }[];
  readonly logKey: KeyObject;
  readonly report: VerifyReport;
}

export interface ExportPlan {
  readonly source: ExportSource;
  readonly format: 'jsonl' | 'csv';
  readonly query: Query;
  readonly signer: { readonly publicKey: KeyObject; readonly host: string };
  readonly generatedAt: Date;
  readonly gateVersion: string;
}

export interface BuiltExport {
  /** File name -> bytes, everything but MANIFEST.json and its signature. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The manifest minus `files` (filled in from the bytes above). */
  readonly manifest: Manifest;
}

const pem = (key: KeyObject): Buffer => Buffer.from(key.export({ format: 'pem', type: 'spki' }).toString());

/**
 * The export directory's files and manifest, computed from a verified log: the selected records
 * (events.jsonl) or actions (events.csv), the raw lines of the contiguous range they span (so the
 * chain checks with stock tools even where filters skipped records), the keys, the verification
 * report. Pure: export-dir.ts writes and signs.
 */
export function buildExport(plan: ExportPlan): BuiltExport {
  const { source, query } = plan;
  const records = selectedEntries(source, query);
  const files = new Map<string, Buffer>();
  const eventsName = plan.format === 'jsonl' ? 'events.jsonl' : 'events.csv';
  files.set(
    eventsName,
    Buffer.from(
      plan.format === 'jsonl'
        ? records.map((e) => `${canonicalJson({ seq: e.record.seq, hash: e.hash, record: e.record as unknown as JsonValue, signature: e.signature })}\n`).join('')
        : evidenceCsv(source.selected),
      'utf8',
    ),
  );
  const lines = splitLines(source.bytes).lines;
  const first = records[0];
  const last = records[records.length - 1];
  const slice = first === undefined || last === undefined ? [] : lines.slice(first.line - 1, last.line);
  files.set('audit.log', Buffer.concat(slice));

  const logKeyFile = source.kind === 'host' ? 'host-key.pub.pem' : 'service-key.pub.pem';
  files.set(logKeyFile, pem(source.logKey));
  const sameKey = spkiBase64(plan.signer.publicKey) === spkiBase64(source.logKey);
  const signerFile = sameKey ? logKeyFile : 'exporter-key.pub.pem';
  if (!sameKey) files.set(signerFile, pem(plan.signer.publicKey));
  const problems = source.report.problems;
  files.set('verification.json', Buffer.from(`${JSON.stringify(verificationJson(source), null, 2)}\n`, 'utf8'));

  const outcomes: Record<string, number> = {};
  for (const { row } of source.selected) outcomes[row.outcome] = (outcomes[row.outcome] ?? 0) + 1;
  const key = (k: KeyObject, file: string): ManifestKey => ({ key_id: keyId(k), public_key: spkiBase64(k), file });
  const manifest: Manifest = {
    format: 'gate-audit-export',
    version: EXPORT_VERSION,
    generated_at: plan.generatedAt.toISOString(),
    generator: { name: 'gate', version: plan.gateVersion, host: plan.signer.host },
    source: { kind: source.kind, location: source.location },
    log: { id: keyId(source.logKey), key: key(source.logKey, logKeyFile) },
    signer: { ...key(plan.signer.publicKey, signerFile), host: plan.signer.host },
    events_format: plan.format,
    query: queryRecord(query),
    counts: { records: records.length, commands: source.selected.length, outcomes, audit_log_lines: slice.length },
    ...(first !== undefined && last !== undefined
      ? {
          range: {
            first: { seq: first.record.seq, hash: first.hash, prev: first.record.prev, at: first.record.at },
            last: { seq: last.record.seq, hash: last.hash, at: last.record.at },
          },
        }
      : {}),
    window: { ...(query.since !== undefined ? { since: query.since } : {}), ...(query.until !== undefined ? { until: query.until } : {}) },
    verification: {
      ok: problems.length === 0,
      lines: source.report.lines,
      verified: source.report.verified,
      problems: problems.length,
      warnings: source.report.warnings.length,
    },
    files: Object.fromEntries([...files].map(([name, bytes]) => [name, sha256Hex(bytes)])),
  };
  return { files, manifest };
}

/**
 * The records to export, in log order: those of the selected rows, plus (when only a time window
 * was asked for) the log's other records in that window, such as log.opened and log.recovered.
 */
function selectedEntries(source: ExportSource, query: Query): LogEntry[] {
  const wanted = new Set(source.selected.flatMap(({ row }) => row.lines));
  if (!selectsCommands(query)) {
    const inRows = new Set(source.rows.flatMap((row) => row.lines));
    for (const entry of source.entries) if (!inRows.has(entry.line) && inWindow(entry.record.at, query)) wanted.add(entry.line);
  }
  return source.entries.filter((entry) => wanted.has(entry.line));
}

/** The verification report as verification.json carries it (what `gate audit verify --json` prints). */
export function verificationJson(source: ExportSource): Record<string, unknown> {
  const { report } = source;
  return {
    ok: report.problems.length === 0,
    log: source.location,
    log_id: keyId(source.logKey),
    lines: report.lines,
    verified: report.verified,
    head: report.head ?? null,
    first_at: report.first_at ?? null,
    last_at: report.last_at ?? null,
    problems: report.problems,
    warnings: report.warnings,
  };
}

/**
 * Per-row verification facts from a host log's report: a bad signature on any of the row's lines;
 * a receipt problem on its command.started line (receipts apply to approved commands that ran).
 */
export function hostRowStatus(row: EvidenceRow, report: VerifyReport): RowStatus {
  const signatureValid = signaturesValid(row, report);
  const receiptApplies = row.outcome === 'ran' && (row.decision === 'approve' || row.requestId !== undefined);
  if (!receiptApplies) return { signatureValid };
  const receiptValid = !report.problems.some((p) => (p.code === 'bad_receipt' || p.code === 'untrusted_receipt_key') && p.line === row.lines[0]);
  return { signatureValid, receiptValid };
}

/** The same for the approval service's log (receipts were checked against its key row by row). */
export function serviceRowStatus(row: EvidenceRow, receiptValid: boolean | undefined, report: VerifyReport): RowStatus {
  const signatureValid = signaturesValid(row, report);
  return receiptValid === undefined ? { signatureValid } : { signatureValid, receiptValid };
}

function signaturesValid(row: EvidenceRow, report: VerifyReport): boolean {
  const lines = new Set(row.lines);
  return !report.problems.some((p) => p.code === 'bad_signature' && lines.has(p.line));
}
