// Issue 5, point 7: `gate audit show` and `gate audit export` as real processes, over a log
// written by real gate commands (one of them approved through a real `gate serve`).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit/canonical.js';
import { EVIDENCE_COLUMNS } from '../../src/audit/evidence/csv.js';
import type { JsonValue } from '../../src/json.js';
import { requireBuild } from '../e2e/common.js';
import { runGate, startGateInPty, tempDir, writeFile } from '../helpers/gate.js';
import { buildHostLog, FORMULA, logLines, opensslVerify, parseCsv, Processes, type HostLog } from './evidence-fixture.js';

requireBuild();

const processes = new Processes();
let root: { path: string; cleanup: () => void };
let host: HostLog;
let lines: string[];
let outNo = 0;

const show = (args: readonly string[]) => runGate(['audit', 'show', ...args], { home: host.home });
/** The SEQ column of a table. */
const seqs = (table: string): number[] =>
  table
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.split(/\s+/)[0]));
const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');
const out = (): string => join(root.path, `export-${++outNo}`);

interface ManifestJson {
  files: Record<string, string>;
  counts: { records: number; commands: number; outcomes: Record<string, number>; audit_log_lines: number };
  range?: { first: { seq: number; prev: string; hash: string }; last: { seq: number; hash: string } };
  log: { id: string; key: { public_key: string; file: string; key_id: string } };
  signer: { public_key: string; file: string; key_id: string };
  source: { kind: string; location: string };
  query: Record<string, unknown>;
  verification: { ok: boolean; problems: number };
}
const manifestOf = (dir: string): ManifestJson => JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as ManifestJson;

beforeAll(async () => {
  root = tempDir('gate-evidence-');
  host = await buildHostLog(root.path, processes);
  lines = logLines(readFileSync(host.log, 'utf8'));
}, 60_000);

afterAll(() => {
  processes.killAll();
  root?.cleanup();
});

describe('gate audit show', () => {
  it('prints one row per command: seq, time, outcome, principal, on-behalf-of, rules, approvers with channel, command', async () => {
    const result = await show([]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout.split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['SEQ', 'TIME', 'OUTCOME', 'PRINCIPAL', 'ON BEHALF OF', 'RULES', 'APPROVERS', 'COMMAND']);
    expect(rows).toHaveLength(7);
    const cells = (seq: number): string[] => rows.find((r) => r.startsWith(`${seq} `))!.split(/\s{2,}/);
    expect(cells(1)).toEqual(['1', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/), 'denied by policy', 'carol (human)', '-', 'no-rm', '-', 'rm -rf /']);
    expect(cells(2).slice(2)).toEqual(['ran, exit 0', 'carol (human)', 'dave', 'audited-print', '-', `print-argv hello '${FORMULA}'`]);
    expect(cells(4)[2]).toBe('ran, exit 3');
    expect(cells(6)[2]).toBe('ran, signal SIGTERM');
    expect(cells(8).slice(2, 6)).toEqual(['failed: not_configured', 'carol (human)', '-', 'marker-dba']);
    expect(cells(9).slice(2, 7)).toEqual(['ran, exit 0', 'carol (human)', '-', 'marker-dba', 'alice via api']);
    expect(cells(11)[2]).toBe('denied by bob');
  });

  it('filters by outcome, rule, decision, principal (requester, acted for, approver, denier), time and limit', async () => {
    const cases: [string[], number[]][] = [
      [['--outcome', 'ran'], [2, 4, 6, 9]],
      [['--outcome', 'denied_by_approver'], [11]],
      [['--rule', 'marker-dba'], [8, 9, 11]],
      [['--decision', 'deny'], [1]],
      [['--decision', 'approve', '--outcome', 'ran'], [9]],
      [['--principal', 'dave'], [2]],
      [['--principal', 'alice'], [9]],
      [['--principal', 'bob'], [11]],
      [['--principal', 'carol', '--limit', '2'], [9, 11]],
      [['--since', '1h'], [1, 2, 4, 6, 8, 9, 11]],
      [['--since', '2000-01-01', '--until', new Date(Date.now() + 3_600_000).toISOString()], [1, 2, 4, 6, 8, 9, 11]],
    ];
    for (const [args, expected] of cases) {
      const result = await show(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(seqs(result.stdout), args.join(' ')).toEqual(expected);
    }
    const none = await show(['--until', '2000-01-01T00:00:00Z']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no commands match');
  });

  it('refuses filters it cannot read, naming the flag (exit 125)', async () => {
    for (const [args, message] of [
      [['--decision', 'maybe'], '--decision maybe: expected one of allow, approve, deny'],
      [['--outcome', 'ok'], '--outcome ok: expected one of ran, denied_by_policy'],
      [['--since', 'yesterday'], '--since yesterday: not a time'],
      [['--limit', '0'], '--limit 0: expected a positive whole number'],
      [['--since', '1h', '--until', '2h'], '--since 1h is after --until 2h'],
    ] as const) {
      const result = await show(args);
      expect(result.code, args.join(' ')).toBe(125);
      expect(result.stderr).toContain(message);
    }
  });

  it('--json prints the selected records, one per line, exactly the signed bytes of the log', async () => {
    const result = await show(['--outcome', 'ran', '--json']);
    expect(result.code).toBe(0);
    const printed = result.stdout.split('\n');
    const expected = lines.filter((l) => [2, 3, 4, 5, 6, 7, 9, 10].includes((JSON.parse(l.split('\t')[0]!) as { seq: number }).seq)).map((l) => l.split('\t')[0]);
    expect(printed).toEqual(expected);
    for (const line of printed) expect((JSON.parse(line) as { event: string }).event).toMatch(/^command\.(started|ended)$/);
  });

  it('warns on stderr when the log does not verify, and still shows it', async () => {
    const copy = join(root.path, 'tampered.log');
    writeFileSync(copy, lines.map((l) => l.replace('"exit_code":3', '"exit_code":0')).join(''));
    const result = await show(['--log', copy]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`the audit log ${copy} does not verify: 2 problems, first: bad_signature: record 5 (line 6)`);
    expect(result.stderr).toContain('run `gate audit verify`');
    expect(seqs(result.stdout)).toEqual([1, 2, 4, 6, 8, 9, 11]);
    expect(result.stdout).toMatch(/^4 .*ran, exit 0/m);
  });

  it('escapes control characters in what it shows', async () => {
    const home = join(root.path, 'ctl');
    await runGate(['--policy', host.policy, '--', 'print-argv', 'a\u001b[2Jb', 'two\nlines'], { home });
    const result = await runGate(['audit', 'show'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain("print-argv $'a\\x1b[2Jb' $'two\\x0alines'");
    expect(result.stdout.split('\n').filter((l) => l !== '')).toHaveLength(2);
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('on a terminal, fits the table to its width and cuts long commands with an ellipsis', async () => {
    const result = await startGateInPty(['audit', 'show'], { home: host.home, env: { COLUMNS: '120' }, timeout: 15_000 }).result;
    expect(result.code).toBe(0);
    const rows = result.stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(Array.from(row).length).toBeLessThanOrEqual(120);
    expect(rows.find((r) => r.startsWith('2 '))).toMatch(/ran, exit 0 .* print-argv hello .*…$/);
    expect(rows.some((r) => r.length > 110)).toBe(true);
  });
});

describe('gate audit export', () => {
  it('jsonl: one {seq, hash, record, signature} per record; hash and signature are those of the log line', async () => {
    const dir = out();
    const result = await runGate(['audit', 'export', '--format', 'jsonl', '--out', dir], { home: host.home });
    expect(result.code, result.stderr).toBe(0);
    const [path, summary] = result.stdout.split('\n');
    expect(path).toBe(dir);
    expect(summary).toMatch(/^exported 12 records \(7 commands: 4 ran, 1 denied_by_policy, 1 denied_by_approver, 1 failed_closed\) of log [0-9a-f]{16}, seq 0-11, .*; verification OK; manifest signed by [0-9a-f]{16}$/);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n');
    expect(events).toHaveLength(12);
    events.forEach((text, i) => {
      const event = JSON.parse(text) as { seq: number; hash: string; record: JsonValue; signature: string };
      const [body, signature] = lines[i]!.split('\t');
      expect(Object.keys(event)).toEqual(['hash', 'record', 'seq', 'signature']);
      expect(event.seq).toBe(i);
      expect(event.hash).toBe(sha256(lines[i]!));
      expect(canonicalJson(event.record)).toBe(body);
      expect(`${event.signature}\n`).toBe(signature);
      expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
    });
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe(lines.join(''));
  });

  it('csv: one RFC 4180 row per command with the evidence columns, approvals, receipts and formulas neutralized', async () => {
    const dir = out();
    expect((await runGate(['audit', 'export', '--format', 'csv', '--out', dir], { home: host.home })).code).toBe(0);
    const text = readFileSync(join(dir, 'events.csv'), 'utf8');
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...EVIDENCE_COLUMNS]);
    expect(rows).toHaveLength(7);
    const row = (seq: number): Record<string, string> => Object.fromEntries(header!.map((h, i) => [h, rows.find((r) => r[header!.indexOf('record_seq')] === String(seq))![i]!]));

    const printed = row(2);
    expect(printed).toMatchObject({ requester_id: 'carol', requester_kind: 'human', on_behalf_of: 'dave', decision: 'allow', outcome: 'ran', decided_by: 'policy', policy_rules: 'audited-print', exit_code: '0', signature_valid: 'true', server_receipt_valid: '' });
    // The formula became text: a leading ' where the cell starts with =; the raw text is quoted per RFC 4180.
    expect(printed.justification).toBe(`'${FORMULA}`);
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(printed.command).toBe(`print-argv hello '${FORMULA}'`);
    expect(printed.command_sha256).toBe(sha256(JSON.stringify(['print-argv', 'hello', FORMULA])));
    expect(printed.record_hash).toBe(sha256(lines[2]!));
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);

    expect(row(1)).toMatchObject({ decision: 'deny', outcome: 'denied_by_policy', decided_by: 'policy', policy_rules: 'no-rm', command: 'rm -rf /' });
    expect(row(6)).toMatchObject({ outcome: 'ran', signal: 'SIGTERM', exit_code: '143' });
    expect(row(8)).toMatchObject({ outcome: 'failed_closed', decision_reason: expect.stringContaining('no approval service is configured') });
    const approved = row(9);
    expect(approved).toMatchObject({ decision: 'approve', outcome: 'ran', decided_by: 'alice', decision_channel: 'api', decision_reason: 'alice: ok', justification: 'INC-42 cleanup', exit_code: '0', server_receipt_valid: 'true', signature_valid: 'true' });
    expect(approved.request_id).toMatch(/^req_/);
    for (const column of ['requested_at', 'decided_at', 'executed_at', 'ended_at', 'duration_ms', 'policy_version']) expect(approved[column], column).not.toBe('');
    expect(row(11)).toMatchObject({ outcome: 'denied_by_approver', decided_by: 'bob', decision_reason: 'not during the freeze', executed_at: '' });
  });

  it('MANIFEST.json is canonical, names the log and key, counts, range and query, hashes every file; its signature verifies with openssl', async () => {
    const dir = out();
    const result = await runGate(['audit', 'export', '--format', 'csv', '--since', '1h', '--out', dir], { home: host.home });
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
    expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
    const manifest = manifestOf(dir);
    expect(Object.keys(manifest.files).sort()).toEqual(readdirSync(dir).filter((f) => !f.startsWith('MANIFEST.json')).sort());
    expect(Object.keys(manifest.files).sort()).toEqual(['audit.log', 'events.csv', 'host-key.pub.pem', 'verification.json']);
    for (const [file, hash] of Object.entries(manifest.files)) expect(sha256(readFileSync(join(dir, file))), file).toBe(hash);
    const key = (await runGate(['audit', 'key', '--base64'], { home: host.home })).stdout.trim();
    expect(manifest.log.key.public_key).toBe(key);
    expect(manifest.signer.public_key).toBe(key);
    expect(manifest.source).toEqual({ kind: 'host', location: host.log });
    expect(manifest.counts).toEqual({ records: 12, commands: 7, outcomes: { ran: 4, denied_by_policy: 1, failed_closed: 1, denied_by_approver: 1 }, audit_log_lines: 12 });
    expect(manifest.range).toMatchObject({ first: { seq: 0, prev: '0'.repeat(64), hash: sha256(lines[0]!) }, last: { seq: 11, hash: sha256(lines[11]!) } });
    expect(Date.parse(manifest.query.since as string)).toBeGreaterThan(Date.now() - 3_700_000);
    expect(JSON.parse(readFileSync(join(dir, 'verification.json'), 'utf8'))).toMatchObject({ ok: true, lines: 12, verified: 12, problems: [] });

    const sig = join(root.path, `manifest-${outNo}.sig`);
    writeFileSync(sig, Buffer.from(readFileSync(join(dir, 'MANIFEST.json.sig'), 'utf8').trim(), 'base64'));
    expect(await opensslVerify(join(dir, 'host-key.pub.pem'), join(dir, 'MANIFEST.json'), sig)).toBe(true);
    const edited = join(root.path, 'edited-manifest.json');
    writeFileSync(edited, text.replace('"records":12', '"records":11'));
    expect(await opensslVerify(join(dir, 'host-key.pub.pem'), edited, sig)).toBe(false);
  });

  it('with filters, exports only the selected commands, but audit.log holds the contiguous range they span', async () => {
    const dir = out();
    expect((await runGate(['audit', 'export', '--format', 'jsonl', '--outcome', 'ran', '--decision', 'allow', '--out', dir], { home: host.home })).code).toBe(0);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(events).toEqual([2, 3, 4, 5, 6, 7]);
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe(lines.slice(2, 8).join(''));
    const manifest = manifestOf(dir);
    expect(manifest.query).toEqual({ decision: 'allow', outcome: 'ran' });
    expect(manifest.range).toMatchObject({ first: { seq: 2, prev: sha256(lines[1]!) }, last: { seq: 7 } });
    expect(manifest.counts).toMatchObject({ records: 6, commands: 3, audit_log_lines: 6 });

    // A gap in the selection: seq 8 (failed closed) lies between records that ran; audit.log keeps it.
    const gap = out();
    expect((await runGate(['audit', 'export', '--format', 'jsonl', '--outcome', 'ran', '--out', gap], { home: host.home })).code).toBe(0);
    expect(manifestOf(gap).counts).toMatchObject({ records: 8, commands: 4, audit_log_lines: 9 });
    expect(readFileSync(join(gap, 'audit.log'), 'utf8')).toBe(lines.slice(2, 11).join(''));
    const wide = out();
    expect((await runGate(['audit', 'export', '--format', 'jsonl', '--principal', 'carol', '--decision', 'approve', '--out', wide], { home: host.home })).code).toBe(0);
    expect(manifestOf(wide).counts).toMatchObject({ records: 4, commands: 3, audit_log_lines: 4 });
    expect(readFileSync(join(wide, 'audit.log'), 'utf8')).toBe(lines.slice(8, 12).join(''));
  });

  it('names the directory after the log and the time by default, and refuses to overwrite a non-empty one', async () => {
    const cwd = join(root.path, 'cwd');
    mkdirSync(cwd);
    const first = await runGate(['audit', 'export', '--format', 'csv'], { home: host.home, cwd });
    expect(first.code, first.stderr).toBe(0);
    const name = first.stdout.split('\n')[0]!;
    expect(name).toMatch(/^gate-audit-[0-9a-f]{16}-\d{8}T\d{6}Z$/);
    expect(name).toContain(manifestOf(join(cwd, name)).log.id);

    const before = readFileSync(join(cwd, name, 'MANIFEST.json'));
    const again = await runGate(['audit', 'export', '--format', 'jsonl', '--out', name], { home: host.home, cwd });
    expect(again.code).toBe(125);
    expect(again.stderr).toContain(`refusing to overwrite ${name}: the directory is not empty`);
    expect(readFileSync(join(cwd, name, 'MANIFEST.json'))).toEqual(before);
    expect(existsSync(join(cwd, name, 'events.jsonl'))).toBe(false);

    const empty = join(root.path, 'empty-dir');
    mkdirSync(empty);
    expect((await runGate(['audit', 'export', '--format', 'csv', '--out', empty], { home: host.home })).code).toBe(0);
    const file = writeFile(join(root.path, 'a-file'), 'x');
    expect((await runGate(['audit', 'export', '--format', 'csv', '--out', file], { home: host.home })).stderr).toContain('exists and is not a directory');
  });

  it('needs --format jsonl or csv', async () => {
    for (const args of [[], ['--format', 'xml']]) {
      const result = await runGate(['audit', 'export', ...args, '--out', out()], { home: host.home });
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/--format (is required|xml: expected jsonl or csv)/);
    }
  });

  it('exports a log that does not verify, says so everywhere, and exits 1', async () => {
    const copy = join(root.path, 'tampered-export.log');
    const at = lines.findIndex((l) => l.includes('"exit_code":3'));
    writeFileSync(copy, lines.map((l, i) => (i === at ? l.replace('"exit_code":3', '"exit_code":0') : l)).join(''));
    const dir = out();
    const result = await runGate(['audit', 'export', '--format', 'csv', '--log', copy, '--out', dir], { home: host.home });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('verification FAILED (2 problems)');
    expect(result.stderr).toContain('does not verify');
    expect(manifestOf(dir).verification).toMatchObject({ ok: false, problems: 2 });
    const verification = JSON.parse(readFileSync(join(dir, 'verification.json'), 'utf8')) as { ok: boolean; problems: { code: string; line: number }[] };
    expect(verification.ok).toBe(false);
    // The changed record, and the next one whose prev no longer matches.
    expect(verification.problems).toEqual([expect.objectContaining({ code: 'bad_signature', line: at + 1 }), expect.objectContaining({ code: 'chain_break', line: at + 2 })]);
    const [header, ...rows] = parseCsv(readFileSync(join(dir, 'events.csv'), 'utf8'));
    const valid = rows.map((r) => [r[header!.indexOf('record_seq')], r[header!.indexOf('signature_valid')]]);
    expect(valid).toEqual([['1', 'true'], ['2', 'true'], ['4', 'false'], ['6', 'true'], ['8', 'true'], ['9', 'true'], ['11', 'true']]);
  });
});
