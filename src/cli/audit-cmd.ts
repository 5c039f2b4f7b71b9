import '../bundle-layout.js'; // see src/bundle-layout.ts
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { keyId } from '../approval/receipt.js';
import { auditLogPath, hostKeyPath } from '../audit/command-trail.js';
import { parsePublicKey, trustedServerKeys } from '../audit/log/keys.js';
import type { Finding, ProblemCode, VerifyReport, WarningCode } from '../audit/log/verify.js';
import { verifyFile } from '../audit/log/verify-file.js';
import { gateHome } from '../config/paths.js';
import { readUserConfig } from '../config/resolve.js';
import { loadOrCreateSigningKey } from '../crypto/signing-key.js';
import { GateError } from '../errors.js';
import { sanitize } from '../display.js';

export interface VerifyOptions {
  readonly log?: string;
  readonly key?: string;
  readonly serverKey: readonly string[];
  readonly server: boolean;
  readonly json: boolean;
}

/** Exit codes of `gate audit verify`: 0 intact, 1 a problem was found (usage errors stay 125). */
export const VERIFY_FAILED = 1;

/**
 * `gate audit verify`: every signature, the hash chain, sequence continuity and every receipt; with
 * --server, the service's signed checkpoints of this log's head (a cut tail or a rewrite).
 */
export async function auditVerify(opts: VerifyOptions): Promise<number> {
  const home = gateHome();
  const config = readUserConfig(home);
  const path = opts.log ?? auditLogPath(home, process.env, config);
  const key = verifyingKey(opts.key, home);
  const serverKeys = trustedServerKeys(opts.serverKey, home, config);
  const report = await verifyFile({ path, publicKey: key, serverKeys });
  let problems: Finding<string>[] = [...report.problems];
  let warnings: Finding<string>[] = [...report.warnings];
  let anchored: number | undefined;
  if (opts.server) {
    const { serverFindings } = await import('../audit/anchor/check.js');
    const found = await serverFindings({ report, logId: keyId(key), home, config, env: process.env });
    problems = [...problems, ...found.problems].sort((a, b) => a.line - b.line);
    warnings = [...warnings, ...found.warnings];
    anchored = found.checked;
  }
  const ok = problems.length === 0;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        ok,
        log: path,
        log_id: keyId(key),
        lines: report.lines,
        verified: report.verified,
        head: report.head ?? null,
        first_at: report.first_at ?? null,
        last_at: report.last_at ?? null,
        ...(anchored !== undefined ? { checkpoints_checked: anchored } : {}),
        problems,
        warnings,
      })}\n`,
    );
    return ok ? 0 : VERIFY_FAILED;
  }
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`log ${sanitize(path)}: key ${keyId(key)}, ${report.lines} records${report.first_at !== undefined ? `, ${report.first_at} to ${report.last_at}` : ''}`);
  for (const p of problems) out(`PROBLEM ${p.code}: ${sanitize(p.message)}`);
  for (const w of warnings) out(`warning ${w.code}: ${sanitize(w.message)}`);
  if (anchored !== undefined) out(`checked against ${anchored} signed checkpoint${anchored === 1 ? '' : 's'} of the approval service`);
  if (ok) {
    out(`OK: ${report.verified} records verified: signatures, hash chain, sequence${serverKeys.size > 0 ? ', receipts' : ''}${report.head !== undefined ? `; head ${report.head.seq} ${report.head.hash}` : ''}`);
    return 0;
  }
  out(`FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${report.lines} records${firstProblemNote(report, problems)}`);
  return VERIFY_FAILED;
}

function firstProblemNote(report: VerifyReport, problems: readonly Finding<string>[]): string {
  const first = problems[0]!;
  if (first.line <= 1) return '';
  return `; lines 1-${first.line - 1} verify`;
}

/** --key, else this host's own audit key; undefined when this host has none. */
export function pinnedLogKey(given: string | undefined, home: string): KeyObject | undefined {
  if (given !== undefined) return parsePublicKey(given, '--key');
  const path = hostKeyPath(home);
  return existsSync(path) ? loadOrCreateSigningKey(path, 'the audit host key').publicKey : undefined;
}

/** An auditor elsewhere must pass --key: a log cannot vouch for itself. */
function verifyingKey(given: string | undefined, home: string): KeyObject {
  const key = pinnedLogKey(given, home);
  if (key !== undefined) return key;
  throw new GateError('USAGE', 'no key to verify the log with: this host has no audit key', {
    hint: 'pass --key with the public key of the host that wrote the log (`gate audit key` on that host prints it)',
  });
}

/** `gate audit key`: the public half of this host's audit key, for auditors (created if missing). */
export async function auditKey(opts: { readonly base64: boolean }): Promise<number> {
  const key = loadOrCreateSigningKey(hostKeyPath(gateHome()), 'the audit host key');
  if (opts.base64) process.stdout.write(`${key.spki}\n`);
  else process.stdout.write(`${key.publicKey.export({ format: 'pem', type: 'spki' }).toString().trimEnd()}\n`);
  process.stderr.write(`gate: audit key id ${key.keyId}\n`);
  return 0;
}

export type { ProblemCode, WarningCode };
