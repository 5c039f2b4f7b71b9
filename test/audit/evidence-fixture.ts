// A host audit log written by real gate processes (bin/gate.js), with a real approval service for
// one approved and one denied command, plus what the evidence tests share: the stock-tool scripts
// as docs/audit.md prints them, an RFC 4180 reader, and the openssl binary.
import { execa } from 'execa';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, gateAs, Processes, startGateAs, startServe } from '../helpers/approval-e2e.js';
import { ROOT, runGate, writeFile, type GateResult } from '../helpers/gate.js';

export const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: no-rm
    decision: deny
    message: rm is not allowed here.
    program: rm
  - id: audited-print
    decision: allow
    audit: true
    program: print-argv
  - id: audited-exit
    decision: allow
    audit: true
    program: [exit-with, kill-self]
  - id: marker-dba
    decision: approve
    program: make-marker
    approval: { from: [{ group: dba }], expires: 30s }
`;

/** What a spreadsheet would run if the cell were not neutralized. */
export const FORMULA = '=HYPERLINK("http://evil.example","click")';

export interface HostLog {
  readonly home: string;
  readonly log: string;
  /** This host's audit key (the test plays the auditor and the attacker with it). */
  readonly privateKey: KeyObject;
  readonly policy: string;
  readonly serverUrl: string;
  /** A token of the approval service for "audrey", a human in group auditor. */
  readonly auditorToken: string;
  /** carol's token (may not read the service's log). */
  readonly requesterToken: string;
  /** What the commands returned, in the order they ran. */
  readonly results: readonly GateResult[];
}

/**
 * Runs, as the user "carol" on one host: a denied rm, an audited print-argv with a formula-like
 * argument and reason, an audited exit 3, a command killed by SIGTERM, an approval with no service
 * configured (fails closed), then through a real `gate serve`: one command alice approves and one
 * bob denies. 12 records: log.opened; not_run; started+ended three times; not_run; started+ended
 * (approved); not_run (denied).
 */
export async function buildHostLog(root: string, processes: Processes): Promise<HostLog> {
  const home = join(root, 'host');
  const policy = writeFile(join(root, 'policy.yaml'), POLICY);
  const env = { GATE_POLICY: policy };
  const results: GateResult[] = [];
  const gate = async (args: readonly string[], extra: Record<string, string> = {}): Promise<GateResult> => {
    const result = await runGate(args, { home, env: { ...env, ...extra } });
    results.push(result);
    return result;
  };
  await runGate(['config', 'set', 'identity.name', 'carol'], { home });
  await gate(['--', 'rm', '-rf', '/']);
  await gate(['--on-behalf-of', 'dave', '--reason', FORMULA, '--', 'print-argv', 'hello', FORMULA]);
  await gate(['--', 'exit-with', '3']);
  await gate(['--', 'kill-self', 'TERM']);
  // `log` and `prev` as --context keys: the stock-tool pattern must still find the envelope's own.
  await gate(['--context', 'log=0123456789abcdef', '--context', `prev=${'ab'.repeat(32)}`, '--', 'make-marker', join(root, 'never')]);

  const serverHome = join(root, 'server');
  const db = join(serverHome, 'gate.db');
  writeFile(join(serverHome, '.keep'), '');
  const tokens = {
    carol: await createToken(serverHome, db, 'carol', 'human', ['dev']),
    alice: await createToken(serverHome, db, 'alice', 'human', ['dba']),
    bob: await createToken(serverHome, db, 'bob', 'human', ['dba']),
    audrey: await createToken(serverHome, db, 'audrey', 'human', ['auditor']),
  };
  const server = await startServe({ home: serverHome, db, policy }, processes);
  const as = (name: keyof typeof tokens, h: string) => ({ home: h, url: server.url, token: tokens[name], env });
  for (const [approver, verb] of [['alice', 'approve'], ['bob', 'deny']] as const) {
    const running = startGateAs(as('carol', home), ['--reason', 'INC-42 cleanup', '--', 'make-marker', join(root, `marker-${verb}`)], processes);
    const id = await running.requestId();
    const decided = await gateAs(as(approver, join(root, approver)), verb === 'approve' ? ['approve', id, '--comment', 'ok'] : ['deny', id, '--reason', 'not during the freeze']);
    if (decided.code !== 0) throw new Error(`gate ${verb} failed: ${decided.stderr}`);
    results.push(await running.result);
  }
  const log = join(home, 'audit', 'audit.log');
  if (!existsSync(log)) throw new Error('no audit log was written');
  return {
    home,
    log,
    privateKey: createPrivateKey(readFileSync(join(home, 'audit', 'host-key.pem'))),
    policy,
    serverUrl: server.url,
    auditorToken: tokens.audrey,
    requesterToken: tokens.carol,
    results,
  };
}

/** The shell script that follows `<!-- recipe:NAME -->` in docs/audit.md, exactly as printed there. */
export function docsRecipe(name: string): string {
  const doc = readFileSync(join(ROOT, 'docs', 'audit.md'), 'utf8');
  const match = new RegExp(`<!-- recipe:${name.replace('.', '\\.')} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (match === null) throw new Error(`docs/audit.md has no recipe ${name}`);
  return match[1]!;
}

/** Runs a docs recipe with /bin/sh (stock tools only on PATH: no node, no gate). */
export async function runRecipe(script: string, args: readonly string[], cwd: string): Promise<GateResult> {
  const result = await execa('sh', [script, ...args], { cwd, reject: false, env: { PATH: '/usr/bin:/bin', LANG: 'C' }, extendEnv: false });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** `openssl pkeyutl -verify -rawin`: true when the signature verifies. */
export async function opensslVerify(publicKeyPem: string, data: string, signature: string): Promise<boolean> {
  const result = await execa('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', publicKeyPem, '-rawin', '-in', data, '-sigfile', signature], { reject: false });
  return result.exitCode === 0 && String(result.stdout).includes('Signature Verified Successfully');
}

/** A strict RFC 4180 reader (CRLF records, quoted fields), independent of the writer under test. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (c === '"' || c === '\n' || c === '\r') throw new Error(`not RFC 4180 at offset ${i}: ${JSON.stringify(text.slice(i - 10, i + 10))}`);
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record is not CRLF-terminated');
  return rows;
}

/** The log's lines, each with its LF. */
export function logLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line !== '');
}

export { Processes };
