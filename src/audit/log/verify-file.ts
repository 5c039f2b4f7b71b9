import type { KeyObject } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GateError } from '../../errors.js';
import { signatureChecker, startSignatureCheck } from './signatures.js';
import { settleSignatures, verifyLog, type VerifyReport } from './verify.js';

export interface VerifyFileOptions {
  readonly path: string;
  readonly publicKey: KeyObject;
  readonly serverKeys: ReadonlySet<string>;
}

/** Reads a log and verifies it (signatures checked across worker threads for large logs). */
export async function verifyFile(options: VerifyFileOptions): Promise<VerifyReport> {
  let bytes: Buffer;
  try {
    bytes = readShared(options.path);
  } catch (error) {
    throw new GateError('CONFIG_INVALID', `cannot read the audit log ${options.path}: ${(error as Error).message}`, {
      hint: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no command has been recorded yet, or the log lives elsewhere (--log FILE, GATE_AUDIT_LOG)' : undefined,
    });
  }
  return verifyBytes(bytes, options.publicKey, options.serverKeys);
}

export async function verifyBytes(bytes: Buffer, publicKey: KeyObject, serverKeys: ReadonlySet<string>): Promise<VerifyReport> {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  const signatures = startSignatureCheck(bytes, publicKey, lines);
  let report: VerifyReport;
  try {
    report = verifyLog(bytes, { publicKey, serverKeys, signatureOk: signatures.ok, checkerFor: signatureChecker });
  } catch (error) {
    await signatures.finish(); // the workers must stop either way
    throw error;
  }
  return settleSignatures(report, await signatures.finish());
}

/**
 * The file's bytes in memory that worker threads can share (signatures.ts), so a large log is not
 * held twice. Reads up to the size it had when opened: a record appended meanwhile is for the next run.
 */
function readShared(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.from(new SharedArrayBuffer(fstatSync(fd).size));
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
