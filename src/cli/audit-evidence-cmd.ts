import '../bundle-layout.js'; // see src/bundle-layout.ts
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { keyId, publicKeyFromBase64 } from '../approval/receipt.js';
import { auditLogPath, hostKeyPath } from '../audit/command-trail.js';
import { readEntries, type LogEntry } from '../audit/evidence/entries.js';
import { writeExport } from '../audit/evidence/export-dir.js';
import { buildExport, hostRowStatus, serviceRowStatus, type ExportSource } from '../audit/evidence/export.js';
import { parseQuery, selectRows, type QueryFlags } from '../audit/evidence/filter.js';
import { trustedServerKeys } from '../audit/log/keys.js';
import { commandRows, ROW_OUTCOMES, type EvidenceRow } from '../audit/evidence/rows.js';
import { serviceRows } from '../audit/evidence/service-rows.js';
import { renderTable } from '../audit/evidence/table.js';
import type { VerifyReport } from '../audit/log/verify.js';
import { verifyBytes } from '../audit/log/verify-file.js';
import { gateHome } from '../config/paths.js';
import { readUserConfig, type UserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { loadOrCreateSigningKey } from '../crypto/signing-key.js';
import { GateError } from '../errors.js';
import { pinnedLogKey, VERIFY_FAILED } from './audit-cmd.js';
import { say } from './output.js';
import { sanitize } from '../display.js';

/** Where the log comes from and what it is checked against (as for `gate audit verify`). */
export interface LogFlags {
  readonly log?: string;
  readonly key?: string;
  readonly serverKey: readonly string[];
}

export interface ShowOptions extends LogFlags, QueryFlags {
  readonly json: boolean;
}

export interface ExportOptions extends LogFlags, QueryFlags {
  readonly format?: string;
  readonly out?: string;
  readonly server: boolean;
}

/**
 * `gate audit show`: the host's commands as a table (or their records as JSON lines), filtered.
 * The log is verified first; a log that does not verify is still shown, under a warning.
 */
export async function auditShow(opts: ShowOptions): Promise<number> {
  const home = gateHome();
  const config = readUserConfig(home);
  const query = parseQuery(opts, new Date());
  const log = await readHostLog(opts, home, config);
  warnIfBroken(log.report, log.path);
  const rows = selectRows(commandRows(log.entries), query);
  if (rows.length === 0) say('no commands match');
  if (opts.json) {
    const byLine = new Map(log.entries.map((e) => [e.line, e]));
    const out = rows.flatMap((row) => row.lines.map((line) => `${byLine.get(line)!.body.toString('utf8')}\n`));
    process.stdout.write(out.join(''));
  } else if (rows.length > 0) {
    process.stdout.write(renderTable(rows, process.stdout.isTTY ? { width: terminalWidth() } : {}));
  }
  return 0;
}

/**
 * `gate audit export`: an evidence directory (events, the raw signed lines they span, keys, the
 * verification report, a signed manifest). Exit 1 when the log did not verify: the directory is
 * still written, and says so in verification.json and the manifest.
 */
export async function auditExport(opts: ExportOptions): Promise<number> {
  if (opts.format !== 'jsonl' && opts.format !== 'csv') {
    throw new GateError('USAGE', opts.format === undefined ? '--format is required' : `--format ${opts.format}: expected jsonl or csv`, {
      hint: 'events.jsonl carries the full signed records; events.csv one row per command for spreadsheets',
    });
  }
  const home = gateHome();
  const config = readUserConfig(home);
  const now = new Date();
  const query = parseQuery(opts, now);
  const source = opts.server ? await serviceSource(opts, home, config) : await hostSource(opts, home, config);
  const selected = selectRows(
    source.rows,
    query,
  ).map((row) => ({ row, status: source.status(row) }));
  const signer = loadOrCreateSigningKey(hostKeyPath(home), 'the audit host key');
  const built = buildExport({
    source: { ...source.export, selected },
    format: opts.format,
    query,
    signer: { publicKey: signer.publicKey, host: hostname() },
    generatedAt: now,
    gateVersion: gateVersion(),
  });
  const dir = opts.out ?? `gate-audit-${built.manifest.log.id}-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  writeExport(dir, built, signer.privateKey);

  const { counts, range, verification } = built.manifest;
  const outcomes = ROW_OUTCOMES.filter((o) => counts.outcomes[o] !== undefined).map((o) => `${counts.outcomes[o]} ${o}`).join(', ');
  process.stdout.write(`${sanitize(dir)}\n`);
  process.stdout.write(
    `exported ${counts.records} record${counts.records === 1 ? '' : 's'} (${counts.commands} command${counts.commands === 1 ? '' : 's'}${outcomes !== '' ? `: ${outcomes}` : ''}) of log ${built.manifest.log.id}` +
      `${range !== undefined ? `, seq ${range.first.seq}-${range.last.seq}, ${range.first.at} to ${range.last.at}` : ''}` +
      `; verification ${verification.ok ? 'OK' : `FAILED (${verification.problems} problem${verification.problems === 1 ? '' : 's'})`}; manifest signed by ${built.manifest.signer.key_id}\n`,
  );
  if (!verification.ok) {
    warnIfBroken(source.export.report, source.export.location);
    return VERIFY_FAILED;
  }
  return 0;
}

/** A terminal that reports no size (a bare pty) gets COLUMNS, else 80. */
function terminalWidth(): number {
  const fromEnv = Number(process.env.COLUMNS);
  return process.stdout.columns || (Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80);
}

interface ReadLog {
  readonly path: string;
  readonly bytes: Buffer;
  readonly entries: LogEntry[];
  readonly key: KeyObject;
  readonly report: VerifyReport;
}

async function readHostLog(opts: LogFlags, home: string, config: UserConfig): Promise<ReadLog> {
  const path = opts.log ?? auditLogPath(home, process.env, config);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new GateError('CONFIG_INVALID', `cannot read the audit log ${path}: ${(error as Error).message}`, {
      hint: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no command has been recorded yet, or the log lives elsewhere (--log FILE, GATE_AUDIT_LOG)' : undefined,
    });
  }
  const entries = readEntries(bytes);
  const key = logKey(opts.key, home, entries, path);
  const report = await verifyBytes(bytes, key, trustedServerKeys(opts.serverKey, home, config));
  return { path, bytes, entries, key, report };
}

/**
 * --key, else this host's key, else (a log copied from elsewhere, no key given) the key the log
 * names in its first record, with a warning: a log checked against its own key proves only that
 * it is internally consistent, not who wrote it.
 */
function logKey(given: string | undefined, home: string, entries: readonly LogEntry[], path: string): KeyObject {
  const pinned = pinnedLogKey(given, home);
  if (pinned !== undefined) return pinned;
  const opened = entries.find((e) => e.record.event === 'log.opened');
  if (opened?.record.event === 'log.opened') {
    try {
      const key = publicKeyFromBase64(opened.record.data.public_key);
      say(`warning: this host has no audit key; checking ${sanitize(path)} against the key it names itself (${keyId(key)}), which proves only that it is consistent: pass --key with its writer's key`);
      return key;
    } catch {
      // Falls through to the usage error.
    }
  }
  throw new GateError('USAGE', 'no key to verify the log with: this host has no audit key and the log names none', {
    hint: 'pass --key with the public key of the host that wrote the log (`gate audit key` on that host prints it)',
  });
}

function warnIfBroken(report: VerifyReport, where: string): void {
  if (report.problems.length === 0) return;
  const first = report.problems[0]!;
  say(
    `warning: the audit log ${sanitize(where)} does not verify: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}, first: ${first.code}: ${sanitize(first.message)}`,
  );
  say('warning: what follows may have been altered; run `gate audit verify` for every finding');
}

/** A log ready to export: its rows and how to judge each row's records. */
interface Source {
  readonly export: Omit<ExportSource, 'selected'>;
  readonly rows: readonly EvidenceRow[];
  readonly status: (row: EvidenceRow) => ReturnType<typeof hostRowStatus>;
}

async function hostSource(opts: ExportOptions, home: string, config: UserConfig): Promise<Source> {
  const log = await readHostLog(opts, home, config);
  const rows = commandRows(log.entries);
  return {
    export: { kind: 'host', location: log.path, bytes: log.bytes, entries: log.entries, rows, logKey: log.key, report: log.report },
    rows,
    status: (row) => hostRowStatus(row, log.report),
  };
}

async function serviceSource(opts: ExportOptions, home: string, config: UserConfig): Promise<Source> {
  if (opts.log !== undefined || opts.key !== undefined) {
    throw new GateError('USAGE', '--server exports the approval service\'s log: --log and --key do not apply', { hint: 'give the service key with --server-key if it is not pinned here' });
  }
  if (opts.serverKey.length > 1) throw new GateError('USAGE', '--server takes at most one --server-key: the key the service log is signed with');
  const { fetchServiceLog } = await import('../audit/evidence/service-log.js');
  const log = await fetchServiceLog(home, process.env, config, opts.serverKey[0]);
  const entries = readEntries(log.bytes);
  const report = await verifyBytes(log.bytes, log.key, new Set());
  const built = serviceRows(entries, log.key);
  const receipts = new Map(built.map(({ row, receiptValid }) => [row, receiptValid]));
  const rows = built.map(({ row }) => row);
  return {
    export: { kind: 'service', location: log.url, bytes: log.bytes, entries, rows, logKey: log.key, report },
    rows,
    status: (row) => serviceRowStatus(row, receipts.get(row), report),
  };
}
