// The pure parts of show and export: rows, filters, table, CSV, export building, manifest signing.
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyId } from '../../src/approval/receipt.js';
import { commandSha256, csvField, csvLine, EVIDENCE_COLUMNS, evidenceCells, neutralize } from '../../src/audit/evidence/csv.js';
import { readEntries } from '../../src/audit/evidence/entries.js';
import { buildExport, hostRowStatus, type ExportSource } from '../../src/audit/evidence/export.js';
import { parseQuery, selectRows, type Query } from '../../src/audit/evidence/filter.js';
import { encodeRecord } from '../../src/audit/log/line.js';
import { manifestBytes, signManifest } from '../../src/audit/evidence/manifest.js';
import type { AuditEvent, CommandContext, EventData, LogHead } from '../../src/audit/log/record.js';
import { commandRows } from '../../src/audit/evidence/rows.js';
import { renderTable } from '../../src/audit/evidence/table.js';
import { verifyLog } from '../../src/audit/log/verify.js';
import { GateError } from '../../src/errors.js';

const key = generateKeyPairSync('ed25519');
const LOG = keyId(key.publicKey);
const SPKI = key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

/** A log built record by record, one second apart from 2026-05-01T09:00:00Z. */
function logOf(records: readonly { event: AuditEvent; data: unknown }[]): Buffer {
  let head: LogHead | undefined;
  const lines: Buffer[] = [];
  const all = [{ event: 'log.opened' as AuditEvent, data: { host: 'web-01', public_key: SPKI, gate_version: '0.1.0' } }, ...records];
  all.forEach(({ event, data }, i) => {
    const written = encodeRecord(head, LOG, event, data as EventData<AuditEvent>, new Date(Date.parse('2026-05-01T09:00:00Z') + i * 1000), key.privateKey);
    lines.push(written.line);
    head = written.head;
  });
  return Buffer.concat(lines);
}

function context(argv: string[], extra: Partial<CommandContext> = {}): CommandContext {
  return {
    host: 'web-01',
    os_user: 'carol',
    principal: { name: 'carol', kind: 'human', source: 'local' },
    command: { argv, cwd: '/srv', host: 'web-01', program_path: `/usr/bin/${argv[0]}` },
    policy: { digest: 'd'.repeat(64), decision: 'allow', rules: ['r1'], signals: [] },
    times: { requested: '2026-05-01T09:00:00.000Z', decided: '2026-05-01T09:00:00.000Z', started: '2026-05-01T09:00:00.000Z' },
    ...extra,
  };
}
const ended = (startSeq: number, code: number) => ({
  event: 'command.ended' as const,
  data: { start_seq: startSeq, outcome: 'exited', exit_code: code, duration_ms: 5, times: { started: '2026-05-01T09:00:00.000Z', ended: '2026-05-01T09:00:01.000Z' } },
});

describe('rows', () => {
  it('pairs each command.started with the command.ended that names it, even interleaved; not_run stands alone', () => {
    const bytes = logOf([
      { event: 'command.started', data: context(['a']) }, // seq 1
      { event: 'command.started', data: context(['b']) }, // seq 2
      ended(2, 7),
      { event: 'command.not_run', data: { ...context(['rm', '-rf', '/'], { policy: { digest: '', decision: 'deny', rules: ['no-rm'], signals: [] } }), outcome: 'denied_by_policy' } },
      ended(1, 0),
      ended(99, 1), // an orphan: verify reports it, rows ignore it
    ]);
    const rows = commandRows(readEntries(bytes));
    expect(rows.map((r) => [r.seq, r.argv[0], r.outcome, r.end?.exitCode, r.seqs])).toEqual([
      [1, 'a', 'ran', 0, [1, 5]],
      [2, 'b', 'ran', 7, [2, 3]],
      [4, 'rm', 'denied_by_policy', undefined, [4]],
    ]);
  });

  it('reads a record that parses but lacks fields (a tampered log must still show) without throwing', () => {
    const rows = commandRows(readEntries(logOf([{ event: 'command.not_run', data: { outcome: 42 } }])));
    expect(rows).toEqual([expect.objectContaining({ seq: 1, argv: [], outcome: 'failed_closed', principal: { name: '', kind: '' } })]);
  });
});

describe('filters', () => {
  const now = new Date('2026-05-10T12:00:00Z');

  it('resolves durations as "ago", RFC 3339 with offsets and UTC dates to absolute UTC times', () => {
    expect(parseQuery({ since: '7d', until: '90m' }, now)).toEqual({ since: '2026-05-03T12:00:00.000Z', until: '2026-05-10T10:30:00.000Z' });
    expect(parseQuery({ since: '2026-05-01T11:00:00+02:00', until: '2026-05-02' }, now)).toEqual({ since: '2026-05-01T09:00:00.000Z', until: '2026-05-02T00:00:00.000Z' });
    expect(parseQuery({ limit: '3', decision: 'deny', outcome: 'expired', rule: 'x', principal: 'p' }, now)).toEqual({ limit: 3, decision: 'deny', outcome: 'expired', rule: 'x', principal: 'p' });
  });

  it('refuses what it cannot read with a USAGE error', () => {
    for (const flags of [{ since: 'last week' }, { until: '2026-13-45T00:00:00Z' }, { since: '2026-05-01T09:00:00' }, { limit: '-1' }, { limit: '1.5' }, { decision: 'ALLOW' }, { outcome: 'ran ' }]) {
      let thrown: unknown;
      try {
        parseQuery(flags, now);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(flags)).toBeInstanceOf(GateError);
      expect((thrown as GateError).code).toBe('USAGE');
    }
  });

  it('selects by window (since inclusive, until exclusive), then keeps the most recent N', () => {
    const bytes = logOf([1, 2, 3, 4].map((i) => ({ event: 'command.not_run' as const, data: { ...context([`c${i}`]), outcome: 'cancelled' } })));
    const rows = commandRows(readEntries(bytes));
    const pick = (q: Query): string[] => selectRows(rows, q).map((r) => r.argv[0]!);
    expect(pick({ since: '2026-05-01T09:00:02.000Z', until: '2026-05-01T09:00:04.000Z' })).toEqual(['c2', 'c3']);
    expect(pick({ limit: 2 })).toEqual(['c3', 'c4']);
    expect(pick({ since: '2026-05-01T09:00:02.000Z', limit: 1 })).toEqual(['c4']);
    expect(pick({ outcome: 'ran' })).toEqual([]);
  });
});

describe('table', () => {
  const bytes = logOf([
    { event: 'command.not_run', data: { ...context(['echo', 'x'.repeat(200)], { principal: { name: 'eve\u001b[31m\u202e', kind: 'agent', source: 'server' } }), outcome: 'expired' } },
  ]);
  const rows = commandRows(readEntries(bytes));

  it('escapes control and bidi characters in every cell', () => {
    const table = renderTable(rows);
    expect(table).not.toMatch(/[\u001b\u202e]/);
    expect(table).toContain('eve\\x1b[31m\\u202e (agent)');
  });

  it('cuts to a width with an ellipsis on a terminal, and nothing otherwise', () => {
    expect(renderTable(rows)).toContain('x'.repeat(200));
    const narrow = renderTable(rows, { width: 100 }).trimEnd().split('\n');
    for (const line of narrow) expect(Array.from(line).length).toBeLessThanOrEqual(100);
    expect(narrow[1]).toMatch(/xxx…$/);
  });
});

describe('csv', () => {
  it('neutralizes cells a spreadsheet would run as formulas, and only those', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(neutralize(`${lead}SUM(A1)`)).toBe(`'${lead}SUM(A1)`);
    for (const lead of [' =', '  +', '\uff1d', ' \uff20']) expect(neutralize(`${lead}SUM(A1)`)).toBe(`'${lead}SUM(A1)`);
    for (const safe of ['SUM(A1)', "'=x", '1-2', 'a=b', 'echo a;=1+1']) expect(neutralize(safe)).toBe(safe);
  });

  it('quotes per RFC 4180 and ends records with CRLF', () => {
    // Every field quoted: a `;`-separated spreadsheet locale must not split `a;=1+1` into a formula cell.
    expect(csvField('plain')).toBe('"plain"');
    expect(csvField('echo a;=1+1')).toBe('"echo a;=1+1"');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=1+2,3')).toBe(`"'=1+2,3"`);
    expect(csvLine(['a', '', 'b"'])).toBe('"a","","b"""\r\n');
  });

  it('command_sha256 is the SHA-256 of the argv as canonical JSON', () => {
    expect(commandSha256(['rm', '-rf', '/'])).toBe(createHash('sha256').update('["rm","-rf","/"]').digest('hex'));
  });

  it('a row has one cell per column, in order', () => {
    const [row] = commandRows(readEntries(logOf([{ event: 'command.started', data: context(['ls']) }, ended(1, 0)])));
    const cells = evidenceCells(row!, { signatureValid: true });
    expect(cells).toHaveLength(EVIDENCE_COLUMNS.length);
    expect(Object.fromEntries(EVIDENCE_COLUMNS.map((c, i) => [c, cells[i]]))).toMatchObject({ command: 'ls', outcome: 'ran', exit_code: '0', decided_by: 'policy', record_seq: '1', signature_valid: 'true' });
  });
});

describe('buildExport', () => {
  const bytes = logOf([
    { event: 'command.not_run', data: { ...context(['a']), outcome: 'cancelled' } }, // 1
    { event: 'log.recovered', data: { partial_base64: 'e30=', partial_bytes: 2 } }, // 2
    { event: 'command.started', data: context(['b'], { policy: { digest: '', decision: 'allow', rules: ['r2'], signals: [] } }) }, // 3
    ended(3, 0), // 4
  ]);
  const entries = readEntries(bytes);
  const report = verifyLog(bytes, { publicKey: key.publicKey, serverKeys: new Set() });
  const rows = commandRows(entries);
  const plan = (query: Query, signer = key.publicKey) => {
    const source: ExportSource = {
      kind: 'host',
      location: '/var/log/audit.log',
      bytes,
      entries,
      rows,
      selected: selectRows(rows, query).map((row) => ({ row, status: hostRowStatus(row, report) })),
      logKey: key.publicKey,
      report,
    };
    return buildExport({ source, format: 'jsonl', query, signer: { publicKey: signer, host: 'laptop' }, generatedAt: new Date('2026-05-02T00:00:00Z'), gateVersion: '0.1.0' });
  };

  it('with only a time window, exports the other records in it too (log.opened, log.recovered)', () => {
    const built = plan({});
    expect(built.manifest.counts).toEqual({ records: 5, commands: 2, outcomes: { cancelled: 1, ran: 1 }, audit_log_lines: 5 });
    expect(built.files.get('audit.log')).toEqual(bytes);
  });

  it('with a command filter, exports only those commands, and audit.log spans them contiguously', () => {
    const built = plan({ rule: 'r1' });
    expect(built.manifest.counts).toMatchObject({ records: 1, commands: 1, audit_log_lines: 1 });
    const wide = plan({ outcome: 'ran', since: '2026-05-01T09:00:00.500Z' });
    const lines = bytes.toString('utf8').split(/(?<=\n)/);
    expect(wide.files.get('audit.log')!.toString('utf8')).toBe(lines.slice(3, 5).join(''));
    const both = plan({ principal: 'carol' });
    expect(both.files.get('audit.log')!.toString('utf8')).toBe(lines.slice(1, 5).join(''));
    expect(both.files.get('events.jsonl')!.toString('utf8').trimEnd().split('\n')).toHaveLength(3);
    expect(both.manifest.range).toMatchObject({ first: { seq: 1 }, last: { seq: 4 } });
  });

  it('nothing selected: no range, empty files, counts of zero', () => {
    const built = plan({ rule: 'nope' });
    expect(built.manifest.range).toBeUndefined();
    expect(built.manifest.counts).toEqual({ records: 0, commands: 0, outcomes: {}, audit_log_lines: 0 });
    expect(built.files.get('audit.log')!.length).toBe(0);
  });

  it('hashes every file, and adds the exporter key when another key signs', () => {
    const built = plan({});
    for (const [name, content] of built.files) expect(built.manifest.files[name]).toBe(createHash('sha256').update(content).digest('hex'));
    expect(built.manifest.signer.file).toBe('host-key.pub.pem');
    const other = generateKeyPairSync('ed25519');
    const signedElsewhere = plan({}, other.publicKey);
    expect(signedElsewhere.manifest.signer).toMatchObject({ file: 'exporter-key.pub.pem', key_id: keyId(other.publicKey) });
    expect([...signedElsewhere.files.keys()].sort()).toEqual(['audit.log', 'events.jsonl', 'exporter-key.pub.pem', 'host-key.pub.pem', 'verification.json']);
  });

  it('the manifest signature covers every byte', () => {
    const bytesOfManifest = manifestBytes(plan({}).manifest);
    const signature = signManifest(bytesOfManifest, key.privateKey);
    expect(verify(null, bytesOfManifest, key.publicKey, Buffer.from(signature, 'base64'))).toBe(true);
    const changed = Buffer.from(bytesOfManifest);
    changed[changed.length - 2] = changed[changed.length - 2]! ^ 1;
    expect(verify(null, changed, key.publicKey, Buffer.from(signature, 'base64'))).toBe(false);
  });
});
