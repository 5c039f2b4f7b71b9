import { describe, expect, it } from 'vitest';
import type { KeyObject } from 'node:crypto';
import { commandDigest } from '../../src/approval/digest.js';
import type { ReceiptPayload } from '../../src/approval/protocol.js';
import { signReceipt } from '../../src/approval/receipt.js';
import { canonicalJson } from '../../src/audit/canonical.js';
import { encodeRecord, lineHash } from '../../src/audit/log/line.js';
import type { AuditRecord } from '../../src/audit/log/record.js';
import { signatureChecker, startSignatureCheck } from '../../src/audit/log/signatures.js';
import { verifyLog, type ProblemCode, type VerifyOptions, type VerifyReport } from '../../src/audit/log/verify.js';
import { verifyBytes } from '../../src/audit/log/verify-file.js';
import type { JsonValue } from '../../src/json.js';
import { buildLog, bytesOf, newKey, resign, Rng, type TestLog } from '../fixtures/audit/realistic-log.js';

// verifyLog (pure) on logs built with the real encoder: intact logs verify, and every kind of
// tampering an attacker (or a disk) can do to a log yields a PROBLEM, found by code and located at
// the right line and seq. Tampering is randomized from seeds: a failure prints the seed to replay it.
//
// What a local verification cannot see, by design: a tail cut at a line boundary (whole records
// removed from the end, including "delete the last record"). Every remaining line is intact and
// correctly chained, so the log is indistinguishable from one that simply ended earlier. Only the
// approval service's signed checkpoints of the log head (anchoring, `gate audit verify --server`)
// can show it; the tests below assert that verify reports such a log as intact, so that a change
// here is noticed.

/** Randomized tamperings per mutation kind. */
const ITERATIONS = Number(process.env.AUDIT_FUZZ_ITERATIONS ?? 300);
/** Distinct realistic logs (20-60 records each) the tamperings are drawn from. */
const POOL_SIZE = Number(process.env.AUDIT_FUZZ_POOL ?? 80);

// Building and checking ~100k Ed25519 signatures would take most of a minute on a shared 2-core
// machine; instead each tampering copies one of POOL_SIZE freshly built logs, and signature checks
// are memoized by the exact bytes checked (key, message, signature): a line that was changed in any
// way is a different key and gets a real check, so the answers are exactly libsodium's.
const memo = new Map<string, Map<string, boolean>>();
function memoChecker(publicKey: KeyObject): (message: Uint8Array, signature: Uint8Array) => boolean {
  const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  let known = memo.get(spki);
  if (known === undefined) memo.set(spki, (known = new Map()));
  const check = signatureChecker(publicKey);
  const seen = known;
  return (message, signature) => {
    const key = Buffer.concat([signature, message]).toString('latin1');
    let valid = seen.get(key);
    if (valid === undefined) seen.set(key, (valid = check(message, signature)));
    return valid;
  };
}

const options = (log: Pick<TestLog, 'host' | 'server'>, publicKey: KeyObject = log.host.publicKey): VerifyOptions => {
  const check = memoChecker(publicKey);
  return { publicKey, serverKeys: new Set([log.server.spki]), signatureOk: (_i, raw) => check(raw.body, raw.signature), checkerFor: memoChecker };
};

let pool: TestLog[] | undefined;
/** The shared pool of realistic logs (built on first use). */
function pooled(rng: Rng): TestLog {
  pool ??= Array.from({ length: POOL_SIZE }, (_, i) => {
    const r = new Rng(900_000 + i);
    return buildLog(r, { records: r.int(20, 60) });
  });
  return rng.pick(pool);
}

/** Lets vitest's worker talk to the main process during long synchronous loops. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const codesAt = (report: VerifyReport, line: number): ProblemCode[] => report.problems.filter((p) => p.line === line).map((p) => p.code);

/** A line of the log rebuilt from a changed record, keeping the old signature. */
function withBody(line: Buffer, record: unknown): Buffer {
  const tab = line.indexOf(0x09);
  return Buffer.concat([Buffer.from(canonicalJson(record as JsonValue), 'utf8'), line.subarray(tab)]);
}

const parse = (line: Buffer): AuditRecord => JSON.parse(line.subarray(0, line.indexOf(0x09)).toString('utf8')) as AuditRecord;
const clone = <T>(value: T): T => structuredClone(value);

/** 0-based index of the line that holds byte `offset`. */
function lineOf(lines: readonly Buffer[], offset: number): number {
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    at += lines[i]!.length;
    if (offset < at) return i;
  }
  throw new Error('offset past the end');
}

type Path = (string | number)[];

/** Every leaf (string, number, boolean, null) of a JSON value, as a path. */
function leaves(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  } else out.push(path);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
}

function setAt(root: unknown, path: Path, value: unknown): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
}

/** A value that differs from `old` (same type where it makes sense, sometimes not). */
function changed(rng: Rng, old: unknown): unknown {
  switch (typeof old) {
    case 'string':
      if (old.length > 0 && rng.chance(0.5)) {
        const i = rng.int(0, old.length - 1);
        const c = old[i] === 'a' ? 'b' : 'a';
        return old.slice(0, i) + c + old.slice(i + 1);
      }
      return `${old}x`;
    case 'number':
      return rng.chance(0.8) ? old + rng.int(1, 5) : String(old);
    case 'boolean':
      return !old;
    default:
      return 0;
  }
}

/** What a mutation did and where verify must say so. */
interface Tampered {
  readonly bytes: Buffer;
  readonly what: string;
  /** At least one problem must be at `line` (1-based) with one of `codes`. */
  readonly expect: readonly { readonly line: number; readonly codes: readonly ProblemCode[]; readonly seq?: number }[];
}

type Mutation = (rng: Rng, log: TestLog) => Tampered;

const CONTENT_CODES: readonly ProblemCode[] = ['malformed_line', 'bad_json', 'bad_record', 'bad_signature'];

const MUTATIONS: Record<string, Mutation> = {
  'flip one bit anywhere': (rng, log) => {
    const bytes = Buffer.from(bytesOf(log.lines));
    const offset = rng.int(0, bytes.length - 1);
    const bit = rng.int(0, 7);
    bytes[offset]! ^= 1 << bit;
    const line = lineOf(log.lines, offset) + 1;
    return { bytes, what: `bit ${bit} of byte ${offset} (line ${line})`, expect: [{ line, codes: CONTENT_CODES }] };
  },

  'replace one byte anywhere': (rng, log) => {
    const bytes = Buffer.from(bytesOf(log.lines));
    const offset = rng.int(0, bytes.length - 1);
    const old = bytes[offset]!;
    const value = (old + rng.int(1, 255)) & 0xff;
    bytes[offset] = value;
    const line = lineOf(log.lines, offset) + 1;
    return { bytes, what: `byte ${offset} (line ${line}) ${old} -> ${value}`, expect: [{ line, codes: CONTENT_CODES }] };
  },

  'change a field, re-serialize canonically, keep the signature': (rng, log) => {
    const i = rng.int(0, log.lines.length - 1);
    const record = clone(parse(log.lines[i]!)) as unknown;
    const paths = leaves(record);
    const path = rng.pick(paths);
    let what: string;
    const roll = rng.next();
    if (roll < 0.1 && path.length > 1) {
      // Remove a member (or an array element) altogether.
      const parent = getAt(record, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
      if (Array.isArray(parent)) parent.splice(path[path.length - 1] as number, 1);
      else delete parent[path[path.length - 1]!];
      what = `removed ${path.join('.')}`;
    } else if (roll < 0.2) {
      (record as { data: Record<string, unknown> }).data.injected = 'yes';
      what = 'added data.injected';
    } else {
      const old = getAt(record, path);
      setAt(record, path, changed(rng, old));
      what = `changed ${path.join('.')} from ${JSON.stringify(old)} to ${JSON.stringify(getAt(record, path))}`;
    }
    const lines = [...log.lines];
    lines[i] = withBody(lines[i]!, record);
    const expect: Tampered['expect'][number][] = [{ line: i + 1, codes: ['bad_signature', 'bad_record'] }];
    if (i + 1 < lines.length) expect.push({ line: i + 2, codes: ['chain_break'], seq: i + 1 });
    return { bytes: bytesOf(lines), what: `record ${i}: ${what}`, expect };
  },

  'delete a record (not the last)': (rng, log) => {
    const i = rng.int(0, log.lines.length - 2);
    const lines = log.lines.filter((_, j) => j !== i);
    // The record after it now sits on its line: a gap in seq, and its prev names the deleted line.
    return {
      bytes: bytesOf(lines),
      what: `deleted record ${i}`,
      expect: [
        { line: i + 1, codes: ['seq_gap'], seq: i + 1 },
        { line: i + 1, codes: ['chain_break'], seq: i + 1 },
      ],
    };
  },

  'delete a run of records in the middle': (rng, log) => {
    const i = rng.int(1, log.lines.length - 3);
    const n = rng.int(2, Math.min(10, log.lines.length - 1 - i));
    const lines = [...log.lines.slice(0, i), ...log.lines.slice(i + n)];
    return { bytes: bytesOf(lines), what: `deleted records ${i}-${i + n - 1}`, expect: [{ line: i + 1, codes: ['seq_gap'], seq: i + n }] };
  },

  'swap two records': (rng, log) => {
    const i = rng.int(0, log.lines.length - 2);
    const j = rng.int(i + 1, log.lines.length - 1);
    const lines = [...log.lines];
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return {
      bytes: bytesOf(lines),
      what: `swapped records ${i} and ${j}`,
      expect: [
        { line: i + 1, codes: ['seq_gap'], seq: j },
        { line: i + 1, codes: ['chain_break'], seq: j },
      ],
    };
  },

  'duplicate a record': (rng, log) => {
    const i = rng.int(0, log.lines.length - 1);
    const at = rng.int(i + 1, log.lines.length);
    const lines = [...log.lines.slice(0, at), log.lines[i]!, ...log.lines.slice(at)];
    return { bytes: bytesOf(lines), what: `copy of record ${i} inserted at line ${at + 1}`, expect: [{ line: at + 1, codes: ['seq_out_of_order'], seq: i }] };
  },

  'insert a forged record, correctly chained, signed with another key': (rng, log) => {
    const attacker = newKey();
    const at = rng.int(0, log.lines.length);
    const head = at === 0 ? undefined : { seq: at - 1, hash: lineHash(log.lines[at - 1]!) };
    // The forger copies a real record's shape (so the record itself is well-formed) and may keep the host's log id.
    const model = parse(log.lines[rng.int(1, log.lines.length - 1)]!);
    const logId = rng.chance(0.7) ? log.host.keyId : attacker.keyId;
    const forged =
      at === 0
        ? encodeRecord(head, logId, 'log.opened', { host: 'forged', public_key: log.host.spki, gate_version: '0.1.0' }, new Date(Date.parse(parse(log.lines[0]!).at) - 1000), attacker.privateKey)
        : encodeRecord(head, logId, model.event, model.data as never, new Date(Date.parse(model.at)), attacker.privateKey);
    const lines = [...log.lines.slice(0, at), forged.line, ...log.lines.slice(at)];
    return { bytes: bytesOf(lines), what: `forged ${forged.record.event} at line ${at + 1} (log id ${logId})`, expect: [{ line: at + 1, codes: ['bad_signature'], seq: at }] };
  },

  're-sign one record with another key': (rng, log) => {
    const attacker = newKey();
    const i = rng.int(0, log.lines.length - 1);
    const record = clone(parse(log.lines[i]!));
    if (record.event === 'command.ended') (record.data as { exit_code: number }).exit_code = 0;
    if (record.event === 'command.started' || record.event === 'command.not_run') (record.data as { reason?: string }).reason = 'routine maintenance';
    const head = i === 0 ? undefined : { seq: i - 1, hash: lineHash(log.lines[i - 1]!) };
    const forged = encodeRecord(head, log.host.keyId, record.event, record.data as never, new Date(Date.parse(record.at)), attacker.privateKey);
    const lines = [...log.lines];
    lines[i] = forged.line;
    const expect: Tampered['expect'][number][] = [{ line: i + 1, codes: ['bad_signature'], seq: i }];
    if (i + 1 < lines.length) expect.push({ line: i + 2, codes: ['chain_break'], seq: i + 1 });
    return { bytes: bytesOf(lines), what: `record ${i} re-signed`, expect };
  },

  're-sign the whole chain with another key': (rng, log) => {
    const attacker = newKey();
    const records = log.records.map((r) => clone(r));
    // The rewrite hides a command: the first command record goes away.
    const hidden = records.findIndex((r) => r.event !== 'log.opened');
    records.splice(hidden, 1);
    const pretend = rng.chance(0.5);
    if (!pretend) (records[0]!.data as { public_key: string }).public_key = attacker.spki;
    // Pretending: keep the host's key id and public key in log.opened, so only signatures can tell.
    const lines = resign(records, attacker, pretend ? log.host.keyId : attacker.keyId);
    return {
      bytes: bytesOf(lines),
      what: `rewritten with another key (${pretend ? "posing as the host's log" : 'its own log id'})`,
      expect: lines.map((_, j) => ({ line: j + 1, codes: ['bad_signature'] as const, seq: j })),
    };
  },
};

describe('verifyLog: intact logs', () => {
  it('a realistic log verifies: no problem, no warning, every record counted, head and hashes right', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const log = pooled(new Rng(seed));
      const report = verifyLog(bytesOf(log.lines), options(log));
      expect(report.problems, `seed ${seed}`).toEqual([]);
      expect(report.warnings, `seed ${seed}`).toEqual([]);
      expect(report.lines).toBe(log.lines.length);
      expect(report.lines).toBeGreaterThanOrEqual(20);
      expect(report.verified).toBe(log.lines.length);
      expect(report.log).toBe(log.host.keyId);
      expect(report.head).toEqual({ seq: log.lines.length - 1, hash: lineHash(log.lines.at(-1)!) });
      expect([...report.hashes.entries()]).toEqual(log.lines.map((l, i) => [i, lineHash(l)]));
      expect(report.first_at).toBe(log.records[0]!.at);
      expect(report.last_at).toBe(log.records.at(-1)!.at);
    }
  });

  it('the generated logs hold every ending and real receipts (so the fuzzing below covers them)', () => {
    const seen = new Set<string>();
    let receipts = 0;
    pooled(new Rng(0));
    for (const log of pool!) {
      receipts += log.approvedSeqs.length;
      for (const r of log.records) {
        if (r.event === 'command.not_run') seen.add(r.data.outcome);
        if (r.event === 'command.ended') seen.add(r.data.outcome);
        if (r.event === 'command.started' && r.data.command.shell_text !== undefined) seen.add('shell_text');
      }
    }
    expect([...seen].sort()).toEqual(['cancelled', 'denied_by_approver', 'denied_by_policy', 'exited', 'expired', 'failed_closed', 'shell_text', 'signaled']);
    expect(receipts).toBeGreaterThan(50);
  });

  it('node:crypto (the default check) and libsodium (gate audit verify) agree', () => {
    const log = buildLog(new Rng(7), { records: 30 });
    const bytes = bytesOf(log.lines);
    // A digit of the first record's year (`{"at":"2025-...`): still valid JSON, another record.
    bytes[8]! ^= 4;
    const plain = verifyLog(bytes, { publicKey: log.host.publicKey, serverKeys: new Set([log.server.spki]) });
    const fast = verifyLog(bytes, options(log));
    expect(plain.problems).toEqual(fast.problems);
    expect(plain.problems.map((p) => [p.code, p.line])).toEqual([
      ['bad_signature', 1],
      ['chain_break', 2],
    ]);
  });

  it('an empty file is a problem (empty_log), not an intact log', () => {
    const report = verifyLog(Buffer.alloc(0), options({ host: newKey(), server: newKey() }));
    expect(report.problems.map((p) => p.code)).toEqual(['empty_log']);
  });
});

describe(`verifyLog: randomized tampering, ${ITERATIONS} seeded runs per kind over ${POOL_SIZE} realistic logs of 20-60 records`, () => {
  let kindNo = 0;
  for (const [kind, mutate] of Object.entries(MUTATIONS)) {
    const base = 1000 * ++kindNo;
    it(`${kind}: always at least one problem, at the right line, with the right code`, async () => {
      const failures: string[] = [];
      for (let n = 0; n < ITERATIONS; n++) {
        if (n % 50 === 0) await breathe();
        const seed = base * 1000 + n;
        const rng = new Rng(seed);
        const log = pooled(rng);
        const tampered = mutate(rng, log);
        const report = verifyLog(tampered.bytes, options(log));
        const missing = tampered.expect.filter((e) => !report.problems.some((p) => p.line === e.line && e.codes.includes(p.code) && (e.seq === undefined || p.seq === e.seq)));
        if (report.problems.length === 0 || missing.length > 0) {
          failures.push(
            `seed ${seed}: ${tampered.what}: expected ${JSON.stringify(missing)}; got problems ${JSON.stringify(report.problems.map((p) => [p.code, p.line, p.seq]))} warnings ${JSON.stringify(report.warnings.map((w) => [w.code, w.line]))}`,
          );
        }
        // Problems are located: every one names a line of the file.
        for (const p of report.problems) if (!(p.line >= 1 && p.line <= report.lines + 1)) failures.push(`seed ${seed}: problem ${p.code} at line ${p.line}`);
      }
      expect(failures.slice(0, 5)).toEqual([]);
    });
  }
});

describe('verifyLog: every bit of the last line', () => {
  // The last line has no successor whose `prev` would catch a change: only its own checks can.
  it('flipping any bit of the last record (body, TAB, signature, newline) is a problem at that line', async () => {
    const log = buildLog(new Rng(99), { records: 3 });
    const lines = log.lines.slice(0, 3);
    const last = lines.length;
    const start = lines[0]!.length + lines[1]!.length;
    const opts = options(log);
    const failures: string[] = [];
    for (let offset = start; offset < start + lines[2]!.length; offset++) {
      if (offset % 64 === 0) await breathe();
      for (let bit = 0; bit < 8; bit++) {
        const bytes = Buffer.from(bytesOf(lines));
        bytes[offset]! ^= 1 << bit;
        const report = verifyLog(bytes, opts);
        if (!report.problems.some((p) => p.line === last && CONTENT_CODES.includes(p.code))) {
          failures.push(`byte ${offset - start} of the last line, bit ${bit}: ${JSON.stringify([...report.problems, ...report.warnings].map((p) => [p.code, p.line]))}`);
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('a signature in non-canonical base64 (same 64 bytes, other text) is refused', () => {
    const log = buildLog(new Rng(5), { records: 3 });
    const lines = [...log.lines];
    const last = lines.at(-1)!;
    // The 86th base64 character carries 2 bits of the signature and 4 bits that must be zero.
    const at = last.length - 4;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const v = alphabet.indexOf(String.fromCharCode(last[at]!));
    const copy = Buffer.from(last);
    copy[at] = alphabet.charCodeAt(v ^ 1);
    expect(Buffer.from(copy.subarray(copy.indexOf(0x09) + 1, -1).toString(), 'base64')).toEqual(Buffer.from(last.subarray(last.indexOf(0x09) + 1, -1).toString(), 'base64'));
    lines[lines.length - 1] = copy;
    const report = verifyLog(bytesOf(lines), options(log));
    expect(codesAt(report, lines.length)).toContain('malformed_line');
  });
});

describe('verifyLog: receipts of approved commands (what even the holder of the host key cannot forge)', () => {
  /** An insider with the host key rewrites an approved command's record and re-signs the whole chain. */
  type Change = (data: Record<string, unknown>, records: AuditRecord[]) => string;
  function rewrite(seed: number, change: Change): { report: VerifyReport; line: number; what: string } {
    const rng = new Rng(seed);
    let log = pooled(rng);
    while (log.approvedSeqs.length === 0) log = pooled(rng);
    const seq = rng.pick(log.approvedSeqs);
    const records = log.records.map((r) => clone(r));
    const what = change(records[seq]!.data as unknown as Record<string, unknown>, records);
    const lines = resign(records, log.host);
    return { report: verifyLog(bytesOf(lines), options(log)), line: seq + 1, what };
  }

  const CHANGES: Record<string, [ProblemCode, Change]> = {
    'an argument added to argv': ['bad_receipt', (d) => ((d.command as { argv: string[] }).argv.push('--and-more'), 'argv')],
    'another program (argv[0] and program_path)': [
      'bad_receipt',
      (d) => {
        const c = d.command as { argv: string[]; program_path: string };
        c.argv[0] = 'sh';
        c.program_path = '/usr/bin/sh';
        return 'program';
      },
    ],
    'another working directory': ['bad_receipt', (d) => ((d.command as { cwd: string }).cwd = '/etc', 'cwd')],
    'another host': ['bad_receipt', (d) => ((d.command as { host: string }).host = 'other-host', 'host')],
    'another requester': ['bad_receipt', (d) => ((d.principal as { name: string }).name = 'mallory', 'principal')],
    'the receipt payload edited to match (digest and argv)': [
      'bad_receipt',
      (d) => {
        const c = d.command as { argv: string[] };
        c.argv.push('--force');
        const receipt = (d.request as { receipt: { payload: Record<string, unknown> } }).receipt;
        receipt.payload.command_digest = commandDigest(d.command as never, (d.principal as { name: string }).name);
        return 'payload';
      },
    ],
    'the receipt removed': ['bad_receipt', (d) => (delete (d.request as { receipt?: unknown }).receipt, 'no receipt')],
    'the request (and its receipt) removed from an approved command': [
      'bad_receipt',
      (d, records) => {
        // ... and from the command's end, which names the request too.
        const id = (d.request as { id: string }).id;
        for (const r of records) if (r.event === 'command.ended' && r.data.request_id === id) delete (r.data as { request_id?: string }).request_id;
        delete d.request;
        return 'no request';
      },
    ],
    'the command started long after its approval expired': [
      'bad_receipt',
      (d) => {
        const times = d.times as { started: string };
        times.started = new Date(Date.parse(times.started) + 3_600_000).toISOString();
        return 'late start';
      },
    ],
    'a receipt from a service key nobody trusts': [
      'untrusted_receipt_key',
      (d) => {
        const rogue = newKey();
        const request = d.request as { server_key: string; receipt: { payload: ReceiptPayload; signature: string } };
        const payload = { ...request.receipt.payload, key_id: rogue.keyId };
        request.server_key = rogue.spki;
        request.receipt = signReceipt(payload, rogue.privateKey) as never;
        return 'rogue key';
      },
    ],
  };

  for (const [name, [code, change]] of Object.entries(CHANGES)) {
    it(`${name}: ${code} at that record, and nothing else (the chain and signatures are intact)`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const { report, line } = rewrite(seed + name.length * 100, change);
        expect(report.problems.map((p) => [p.code, p.line]), `seed ${seed}`).toEqual([[code, line]]);
        expect(report.problems[0]!.seq).toBe(line - 1);
      }
    });
  }

  it('a receipt verifies only against a trusted service key: without --server-key it is untrusted_receipt_key', () => {
    const log = buildLog(new Rng(3), { records: 40 });
    expect(log.approvedSeqs.length).toBeGreaterThan(0);
    const report = verifyLog(bytesOf(log.lines), { ...options(log), serverKeys: new Set() });
    expect(report.problems.map((p) => [p.code, p.line])).toEqual(log.approvedSeqs.map((s) => ['untrusted_receipt_key', s + 1]));
  });
});

describe('verifyLog: truncation', () => {
  it('cut mid-line (a crash mid-write): a partial_tail warning at that line, the complete lines above it verify', async () => {
    const failures: string[] = [];
    for (let n = 0; n < ITERATIONS; n++) {
      if (n % 50 === 0) await breathe();
      const seed = 77_000 + n;
      const rng = new Rng(seed);
      const log = pooled(rng);
      const i = rng.int(0, log.lines.length - 1);
      const keep = rng.int(1, log.lines[i]!.length - 1);
      const bytes = Buffer.concat([...log.lines.slice(0, i), log.lines[i]!.subarray(0, keep)]);
      const report = verifyLog(bytes, options(log));
      const ok =
        report.problems.every((p) => p.code === 'empty_log' && i === 0) &&
        report.warnings.some((w) => w.code === 'partial_tail' && w.line === i + 1) &&
        report.verified === i &&
        report.lines === i &&
        (i === 0 ? report.head === undefined : report.head?.seq === i - 1);
      if (!ok) failures.push(`seed ${seed}: line ${i + 1} cut after ${keep} bytes: ${JSON.stringify([...report.problems, ...report.warnings].map((p) => [p.code, p.line]))} verified ${report.verified}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('cut at a line boundary (whole records removed from the end) is NOT detectable locally: verify reports an intact, shorter log', () => {
    // Documented limitation: only the approval service's anchored checkpoints of the head can show
    // that records existed after this one (`gate audit verify --server`).
    for (let seed = 1; seed <= 50; seed++) {
      const rng = new Rng(seed);
      const log = pooled(rng);
      const keep = rng.int(1, log.lines.length - 1);
      const report = verifyLog(bytesOf(log.lines.slice(0, keep)), options(log));
      expect(report.problems, `seed ${seed}`).toEqual([]);
      expect(report.warnings.every((w) => w.code === 'unfinished_command')).toBe(true);
      expect(report.head).toEqual({ seq: keep - 1, hash: lineHash(log.lines[keep - 1]!) });
    }
  });
});

describe('verifyLog: what it reports beside tampering', () => {
  it('a started command with no end is an unfinished_command warning at its line (gate was killed while it ran)', () => {
    const log = buildLog(new Rng(11), { records: 30 });
    const records = log.records.map((r) => clone(r));
    const start = records.findIndex((r) => r.event === 'command.started');
    const end = records.findIndex((r) => r.event === 'command.ended' && r.data.start_seq === start);
    records.splice(end, 1);
    // Re-chaining renumbers every record after the removed end: so do the ends that point back.
    for (const r of records) if (r.event === 'command.ended' && r.data.start_seq > end) (r.data as { start_seq: number }).start_seq -= 1;
    const report = verifyLog(bytesOf(resign(records, log.host)), options(log));
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((w) => [w.code, w.line, w.seq])).toEqual([['unfinished_command', start + 1, start]]);
  });

  it('an end without its start, or ended twice, is orphan_end', () => {
    const log = buildLog(new Rng(12), { records: 30 });
    const endIndex = log.records.findIndex((r) => r.event === 'command.ended');
    const end = log.records[endIndex]!;
    const records = [...log.records, clone(end)];
    const report = verifyLog(bytesOf(resign(records, log.host)), options(log));
    expect(report.problems.map((p) => [p.code, p.line])).toEqual([['orphan_end', records.length]]);
  });

  it('the log must be verified with the pinned key: a rewrite verifies with its own key, and fails with the host key (untrusted_key at line 1)', () => {
    const log = buildLog(new Rng(13), { records: 30 });
    const attacker = newKey();
    const records = log.records.map((r) => clone(r));
    (records[0]!.data as { public_key: string }).public_key = attacker.spki;
    const bytes = bytesOf(resign(records, attacker));
    expect(verifyLog(bytes, options(log, attacker.publicKey)).problems).toEqual([]);
    const report = verifyLog(bytes, options(log));
    expect(codesAt(report, 1)).toEqual(expect.arrayContaining(['bad_signature', 'wrong_log', 'untrusted_key']));
  });

  it('log.opened anywhere but line 1 is bad_genesis (another log spliced in)', () => {
    const log = buildLog(new Rng(14), { records: 30 });
    const records = [...log.records.map((r) => clone(r)), clone(log.records[0]!)];
    const report = verifyLog(bytesOf(resign(records, log.host)), options(log));
    expect(report.problems.map((p) => [p.code, p.line])).toEqual([['bad_genesis', records.length]]);
  });
});

describe('verifyBytes: signatures shared with worker threads (from 4,096 lines) find the same problems', () => {
  it('a 5,000-record log: intact, then altered records at the start, middle and end, and a non-canonical last signature', async () => {
    const host = newKey();
    const server = newKey();
    const lines: Buffer[] = [];
    let head: { seq: number; hash: string } | undefined;
    const t0 = Date.UTC(2025, 5, 1);
    const push = (event: AuditRecord['event'], data: unknown): void => {
      const w = encodeRecord(head, host.keyId, event, data as never, new Date(t0 + lines.length * 1000), host.privateKey);
      lines.push(w.line);
      head = w.head;
    };
    push('log.opened', { host: 'h', public_key: host.spki, gate_version: '0.1.0' });
    while (lines.length < 5000) {
      push('command.not_run', {
        host: 'h',
        os_user: 'dev',
        principal: { name: 'dev', kind: 'human', source: 'local' },
        command: { argv: ['rm', '-rf', `/srv/${lines.length}`], cwd: '/', host: 'h', program_path: '/usr/bin/rm' },
        policy: { digest: 'f'.repeat(64), decision: 'deny', rules: ['rm-root'], signals: [] },
        times: { requested: new Date(t0).toISOString() },
        outcome: 'denied_by_policy',
      });
    }
    const keys = new Set([server.spki]);
    const intact = await verifyBytes(bytesOf(lines), host.publicKey, keys);
    expect(intact.problems).toEqual([]);
    expect(intact.verified).toBe(5000);

    const tampered = [...lines];
    // Near the start (checked by this thread), the middle, and near the end (worker threads start there).
    const victims = [10, 2500, 4990];
    for (const victim of victims) {
      const record = parse(tampered[victim]!) as unknown as { data: { command: { argv: string[] } } };
      record.data.command.argv[2] = '/srv/other';
      tampered[victim] = withBody(tampered[victim]!, record);
    }
    const last = Buffer.from(tampered.at(-1)!);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    last[last.length - 4] = alphabet.charCodeAt(alphabet.indexOf(String.fromCharCode(last[last.length - 4]!)) ^ 2);
    tampered[tampered.length - 1] = last;
    const bytes = bytesOf(tampered);
    const parallel = await verifyBytes(bytes, host.publicKey, keys);
    const check = signatureChecker(host.publicKey);
    const serial = verifyLog(bytes, { publicKey: host.publicKey, serverKeys: keys, signatureOk: (_i, raw) => check(raw.body, raw.signature) });
    expect(parallel.problems).toEqual(serial.problems);
    expect(parallel.problems.map((p) => [p.code, p.line])).toEqual([
      ...victims.flatMap((v) => [
        ['bad_signature', v + 1],
        ['chain_break', v + 2],
      ]),
      ['malformed_line', 5000],
    ]);
  });

  it('startSignatureCheck: every answer matches a serial check, whichever thread checked the line', async () => {
    const host = newKey();
    const other = newKey();
    const lines: Buffer[] = [];
    let head: { seq: number; hash: string } | undefined;
    for (let i = 0; i < 5000; i++) {
      // Every 7th line is signed by another key.
      const w = encodeRecord(head, host.keyId, 'command.ended', { start_seq: i, outcome: 'exited', exit_code: 0, duration_ms: 1, times: { started: 'x', ended: 'x' } } as never, new Date(1e12 + i), i % 7 === 3 ? other.privateKey : host.privateKey);
      lines.push(w.line);
      head = w.head;
    }
    const bytes = bytesOf(lines);
    const job = startSignatureCheck(bytes, host.publicKey, lines.length);
    // Wait (busily: a timer may fire late on a loaded machine) until a worker has answered the
    // first line, then read every answer at once: the workers have answered a share, the rest is
    // left to the caller's finish(). A worker needs tens of microseconds a line, the reads none.
    const first = lines[0]!;
    const firstRaw = { body: first.subarray(0, first.indexOf(0x09)), signature: Buffer.alloc(64) };
    const deadline = Date.now() + 20_000;
    while (job.ok(0, firstRaw) === undefined && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    const early = lines.map((line, i) => {
      const tab = line.indexOf(0x09);
      return job.ok(i, { body: line.subarray(0, tab), signature: Buffer.from(line.subarray(tab + 1, -1).toString(), 'base64') });
    });
    const valid = await job.finish();
    // The workers answered a share before the caller's pass; the caller checked the rest at finish().
    expect(early.some((ok) => ok !== undefined)).toBe(true);
    expect(early.some((ok) => ok === undefined)).toBe(true);
    early.forEach((ok, i) => ok !== undefined && expect(ok).toBe(valid(i)));
    expect(lines.map((_, i) => i).filter((i) => !valid(i))).toEqual(lines.map((_, i) => i).filter((i) => i % 7 === 3));
  });
});
