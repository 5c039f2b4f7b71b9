// Issue 5, point 6: an auditor verifies a gate audit log with openssl and sha256sum alone. The
// scripts are taken from docs/audit.md as printed there and run with /bin/sh and a PATH without
// node or gate, against a log written by real gate commands, and against tampered copies.
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../e2e/common.js';
import { runGate, tempDir, writeFile } from '../helpers/gate.js';
import { buildHostLog, docsRecipe, logLines, Processes, runRecipe, type HostLog } from './evidence-fixture.js';

requireBuild();

const ZEROS = '0'.repeat(64);
const processes = new Processes();
let root: { path: string; cleanup: () => void };
let host: HostLog;
let lines: string[];
let checkLog = '';
let checkExport = '';
let keyPem = '';
let copyNo = 0;

/** A copy of the log with its lines replaced by `edit(lines)`. */
function tampered(edit: (lines: string[]) => string[]): string {
  const path = join(root.path, `tampered-${++copyNo}.log`);
  writeFileSync(path, edit([...lines]).join(''));
  return path;
}

/** Index of the first line whose record contains `text`. */
const lineWith = (text: string): number => {
  const index = lines.findIndex((line) => line.split('\t')[0]!.includes(text));
  if (index === -1) throw new Error(`no record contains ${text}`);
  return index;
};

beforeAll(async () => {
  root = tempDir('gate-openssl-');
  host = await buildHostLog(root.path, processes);
  lines = logLines(readFileSync(host.log, 'utf8'));
  checkLog = writeFile(join(root.path, 'check-log.sh'), docsRecipe('check-log.sh'));
  checkExport = writeFile(join(root.path, 'check-export.sh'), docsRecipe('check-export.sh'));
  const key = await runGate(['audit', 'key'], { home: host.home });
  keyPem = writeFile(join(root.path, 'host-key.pub.pem'), `${key.stdout}\n`);
}, 60_000);

afterAll(() => {
  processes.killAll();
  root?.cleanup();
});

describe('the stock-tools recipe of docs/audit.md (openssl, sha256sum, sed, cut)', () => {
  it('verifies every signature, the log id, the chain and the sequence of a log written by real gate commands', async () => {
    expect(lines).toHaveLength(12);
    const result = await runRecipe(checkLog, [host.log, keyPem, ZEROS], root.path);
    expect(result.stdout).toContain('OK: 12 records: signatures, log id, hash chain and sequence verify');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // gate agrees.
    expect((await runGate(['audit', 'verify'], { home: host.home })).code).toBe(0);
  });

  it('fails when one field of one record was changed (the exit code): BAD SIGNATURE on that line', async () => {
    const at = lineWith('"exit_code":3');
    const path = tampered((l) => {
      l[at] = l[at]!.replace('"exit_code":3', '"exit_code":0');
      return l;
    });
    const result = await runRecipe(checkLog, [path, keyPem, ZEROS], root.path);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`line ${at + 1}: BAD SIGNATURE`);
    // The next line's prev was the hash of the original line.
    expect(result.stdout).toContain(`line ${at + 2}: CHAIN BREAK`);
    expect((await runGate(['audit', 'verify', '--log', path], { home: host.home })).code).toBe(1);
  });

  it('fails when a changed record was re-signed with the host key itself: CHAIN BREAK on the line after it', async () => {
    const at = lineWith('"outcome":"denied_by_policy"');
    const path = tampered((l) => {
      const body = l[at]!.split('\t')[0]!.replace('"outcome":"denied_by_policy"', '"outcome":"cancelled"');
      l[at] = `${body}\t${sign(null, Buffer.from(body), host.privateKey).toString('base64')}\n`;
      return l;
    });
    const result = await runRecipe(checkLog, [path, keyPem, ZEROS], root.path);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(`line ${at + 1}: BAD SIGNATURE`);
    expect(result.stdout).toContain(`line ${at + 2}: CHAIN BREAK`);
  });

  it('fails when a record was removed, or two were swapped', async () => {
    const removed = await runRecipe(checkLog, [tampered((l) => l.filter((_, i) => i !== 4)), keyPem, ZEROS], root.path);
    expect(removed.code).toBe(1);
    expect(removed.stdout).toContain('line 5: CHAIN BREAK');
    expect(removed.stdout).toContain('line 5: SEQ 5 after 3');

    const swapped = await runRecipe(checkLog, [tampered((l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)]), keyPem, ZEROS], root.path);
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toMatch(/line 2: CHAIN BREAK[\s\S]*line 2: SEQ 2 after 0/);
  });

  it('fails when the first line is not the start it claims to be (a cut beginning)', async () => {
    const result = await runRecipe(checkLog, [tampered((l) => l.slice(1)), keyPem, ZEROS], root.path);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('line 1: CHAIN BREAK');
  });

  it("fails when a line carries another line's signature, or the log is checked with another key", async () => {
    const swappedSig = await runRecipe(
      checkLog,
      [tampered((l) => [l[0]!, `${l[1]!.split('\t')[0]}\t${l[2]!.split('\t')[1]}`, ...l.slice(2)]), keyPem, ZEROS],
      root.path,
    );
    expect(swappedSig.code).toBe(1);
    expect(swappedSig.stdout).toContain('line 2: BAD SIGNATURE');

    const other = writeFile(join(root.path, 'other.pub.pem'), createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'pem', type: 'spki' }).toString());
    const wrongKey = await runRecipe(checkLog, [host.log, other, ZEROS], root.path);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout.match(/BAD SIGNATURE/g)).toHaveLength(12);
    expect(wrongKey.stdout).toContain('line 1: WRONG LOG');
  });

  it('verifies an export: the manifest signature, every file, then the exported range of the chain; and fails on a changed or added file', async () => {
    const out = join(root.path, 'export-ran');
    // A filter that skips records in the middle: audit.log still holds the contiguous range.
    const exported = await runGate(['audit', 'export', '--format', 'jsonl', '--outcome', 'ran', '--out', out], { home: host.home });
    expect(exported.code, exported.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'MANIFEST.json'), 'utf8')) as { range: { first: { seq: number; prev: string }; last: { seq: number } } };
    expect(manifest.range.first.seq).toBeGreaterThan(0);

    const checked = await runRecipe(checkExport, [out], root.path);
    expect(checked.code, checked.stdout).toBe(0);
    expect(checked.stdout).toContain('MANIFEST.json: signature OK');
    const next = /next: sh check-log\.sh (\S+) (\S+) ([0-9a-f]{64})$/m.exec(checked.stdout);
    expect(next?.slice(1)).toEqual(['audit.log', 'host-key.pub.pem', manifest.range.first.prev]);
    const chain = await runRecipe(checkLog, [next![1]!, next![2]!, next![3]!], out);
    expect(chain.code, chain.stdout).toBe(0);
    expect(chain.stdout).toContain(`OK: ${manifest.range.last.seq - manifest.range.first.seq + 1} records`);

    const changed = join(root.path, 'export-changed');
    await runGate(['audit', 'export', '--format', 'csv', '--out', changed], { home: host.home });
    writeFileSync(join(changed, 'events.csv'), readFileSync(join(changed, 'events.csv'), 'utf8').replace('denied_by_policy', 'ran'));
    writeFileSync(join(changed, 'notes.txt'), 'added later\n');
    const bad = await runRecipe(checkExport, [changed], root.path);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('events.csv: MISSING OR CHANGED');
    expect(bad.stdout).toContain('notes.txt: NOT IN THE MANIFEST');
  });

  it('fails on a manifest edited after signing', async () => {
    const out = join(root.path, 'export-edited');
    await runGate(['audit', 'export', '--format', 'jsonl', '--out', out], { home: host.home });
    const path = join(out, 'MANIFEST.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"ok":true', '"ok":false'));
    const result = await runRecipe(checkExport, [out], root.path);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('MANIFEST.json: BAD SIGNATURE');
  });

  it('checks a log whose last write was interrupted: the partial line is not counted', async () => {
    const path = join(root.path, 'partial.log');
    copyFileSync(host.log, path);
    writeFileSync(path, '{"at":"2026-', { flag: 'a' });
    const result = await runRecipe(checkLog, [path, keyPem, ZEROS], root.path);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('OK: 12 records');
  });
});
