import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { POLICIES, runGate, tempDir, writeFile } from '../helpers/gate.js';

/**
 * The shipped policies, exercised through the built CLI as a real process: every file validates
 * (schema, patterns, ids, every rule's match/not_match examples) and passes its own `tests:`,
 * alone and merged into default.yaml; and the README's headline commands get their decisions.
 */

const home = tempDir('gate-shipped-');
afterAll(home.cleanup);

/** The per-area files the default policy includes. */
const AREA_FILES = [
  'accounts.yaml',
  'opaque-code.yaml',
  'cloud-export.yaml',
  'curl-pipe-sh.yaml',
  'databases.yaml',
  'git.yaml',
  'kubectl.yaml',
  'rm.yaml',
  'system.yaml',
  'terraform.yaml',
];
const SHIPPED = readdirSync(POLICIES).filter((f) => f.endsWith('.yaml')).sort();

interface RuleDoc {
  id: string;
  decision: string;
  description?: string;
  message?: string;
  approval?: { from?: unknown[] };
  match?: unknown[];
  not_match?: unknown[];
}
interface FileDoc {
  include?: string[];
  rules?: RuleDoc[];
  tests?: unknown[];
}

const readDoc = (path: string): FileDoc => parse(readFileSync(path, 'utf8')) as FileDoc;

/** The file and everything it includes, transitively, each once (as gate reads them). */
function closure(path: string, seen = new Set<string>()): string[] {
  const real = resolve(path);
  if (seen.has(real)) return [];
  seen.add(real);
  const doc = readDoc(real);
  return [real, ...(doc.include ?? []).flatMap((inc) => closure(join(dirname(real), inc), seen))];
}

function totals(path: string): { rules: number; examples: number; tests: number; files: number } {
  const files = closure(path).map(readDoc);
  const rules = files.flatMap((d) => d.rules ?? []);
  return {
    files: files.length,
    rules: rules.length,
    examples: rules.reduce((n, r) => n + (r.match?.length ?? 0) + (r.not_match?.length ?? 0), 0),
    tests: files.reduce((n, d) => n + (d.tests?.length ?? 0), 0),
  };
}

/** `N passed, M failed`, the closing line of `gate policy test`. */
function summary(stdout: string): { passed: number; failed: number } {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+) passed, (\d+) failed$/.exec(last);
  if (!m) throw new Error(`no summary line in:\n${stdout}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

async function check(argv: string[], env: Record<string, string> = {}) {
  const result = await runGate(['check', '--json', '--', ...argv], { home: home.path, env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { decision: string; rules: string[]; approval?: { reasonRequired: boolean; from: { group: string; count: number }[] } };
}

describe('the shipped policy set', () => {
  it('default.yaml includes every area file', () => {
    for (const file of AREA_FILES) expect(SHIPPED).toContain(file);
    const included = closure(join(POLICIES, 'default.yaml')).map((p) => p.slice(POLICIES.length + 1)).sort();
    expect(included).toEqual(['default.yaml', ...AREA_FILES].sort());
  });

  it('the whole directory (default.yaml plus every other shipped file) validates and passes every test', async () => {
    const result = await runGate(['policy', 'test', POLICIES], { home: home.path });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const expected = SHIPPED.reduce((n, f) => n + (readDoc(join(POLICIES, f)).tests?.length ?? 0), 0);
    expect(summary(result.stdout)).toEqual({ passed: expected, failed: 0 });
  });

  it.each(AREA_FILES)('%s: schema comment, version, and every rule documented with examples both ways', (file) => {
    const text = readFileSync(join(POLICIES, file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./policy.schema.json');
    const doc = parse(text) as FileDoc & { version: number };
    expect(doc.version).toBe(1);
    expect(doc.rules?.length ?? 0).toBeGreaterThan(0);
    expect(doc.tests?.length ?? 0).toBeGreaterThanOrEqual(8);
    for (const rule of doc.rules ?? []) {
      expect(rule.description, rule.id).toBeTruthy();
      expect(rule.message, rule.id).toBeTruthy();
      expect(rule.match?.length ?? 0, `${rule.id}: match examples`).toBeGreaterThanOrEqual(2);
      expect(rule.not_match?.length ?? 0, `${rule.id}: not_match examples`).toBeGreaterThanOrEqual(2);
      if (rule.decision === 'approve') expect(rule.approval?.from?.length ?? 0, `${rule.id}: approvers`).toBeGreaterThan(0);
    }
  });
});

describe.each([...AREA_FILES, 'default.yaml'])('%s through the CLI', (file) => {
  const path = join(POLICIES, file);

  it('gate policy validate: exit 0, every rule and example checked', async () => {
    const result = await runGate(['policy', 'validate', path], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    const t = totals(path);
    expect(result.stdout).toContain(`ok: ${t.files} file(s), ${t.rules} rule(s), ${t.examples} example(s) checked; unmatched commands: allow`);
  });

  it('gate policy test: exit 0, all of its tests passed', async () => {
    const result = await runGate(['policy', 'test', path], { home: home.path });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const { passed, failed } = summary(result.stdout);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBe(totals(path).tests);
    expect(result.stdout).not.toContain('FAIL');
  });
});

describe('the checks can fail (no tautologies)', () => {
  const temp = tempDir('gate-shipped-mutant-');
  afterAll(temp.cleanup);

  it('a test expecting the wrong decision fails `policy test`', async () => {
    const text = readFileSync(join(POLICIES, 'git.yaml'), 'utf8');
    const line = '  - { command: "git push --force origin main", decision: approve, rules: [git-force-push] }';
    expect(text).toContain(line);
    const mutant = writeFile(join(temp.path, 'git.yaml'), text.replace(line, line.replace('decision: approve', 'decision: allow')));
    const result = await runGate(['policy', 'test', mutant], { home: home.path });
    expect(result.code).toBe(1);
    expect(summary(result.stdout).failed).toBe(1);
    expect(result.stdout).toContain('expected allow, got approve');
  });

  it('a rule that stops matching its own example fails validation', async () => {
    const text = readFileSync(join(POLICIES, 'rm.yaml'), 'utf8');
    expect(text).toContain('    flags: [-r, -R, --recursive]\n');
    // Without -r the rule no longer sees `rm -r -f x` as recursive.
    const mutant = writeFile(join(temp.path, 'rm.yaml'), text.replace('    flags: [-r, -R, --recursive]\n', '    flags: [-R, --recursive]\n'));
    const result = await runGate(['policy', 'validate', mutant], { home: home.path });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('rule "rm-recursive" does not match its example');
  });
});

describe('headline decisions of the embedded default policy', () => {
  it('kubectl delete namespace with --context prod needs approval from two SREs, with a reason', async () => {
    const report = await check(['kubectl', 'delete', 'namespace', 'payments', '--context', 'prod']);
    expect(report.decision).toBe('approve');
    expect(report.rules).toEqual(expect.arrayContaining(['k8s-delete', 'k8s-delete-cluster-scoped', 'k8s-prod-write']));
    expect(report.approval).toMatchObject({ reasonRequired: true, from: [{ group: 'sre', count: 2 }] });
  });

  it('kubectl with the options before the verb is read the same way', async () => {
    const report = await check(['kubectl', '--context', 'prod', '-n', 'x', 'delete', 'ns', 'y']);
    expect(report.decision).toBe('approve');
    expect(report.rules).toContain('k8s-delete-cluster-scoped');
  });

  it('rm -rf / is denied by rm-root', async () => {
    const report = await check(['rm', '-rf', '/']);
    expect(report.decision).toBe('deny');
    expect(report.rules).toContain('rm-root');
  });

  it('rm -rf /tmp/build needs approval but is not denied', async () => {
    const report = await check(['rm', '-rf', '/tmp/build']);
    expect(report.decision).toBe('approve');
    expect(report.rules).toEqual(['rm-recursive']);
  });

  it('ls is allowed, no rule involved', async () => {
    const report = await check(['ls', '-la']);
    expect(report).toMatchObject({ decision: 'allow', rules: [] });
  });

  it('git push --force origin main needs approval; git push origin feature does not', async () => {
    expect(await check(['git', 'push', '--force', 'origin', 'main'])).toMatchObject({ decision: 'approve', rules: ['git-force-push'] });
    expect(await check(['git', 'push', 'origin', 'feature'])).toMatchObject({ decision: 'allow', rules: [] });
    expect(await check(['git', 'commit', '-m', '--force'])).toMatchObject({ decision: 'allow', rules: [] });
  });

  it('psql against a production PGHOST needs a DBA', async () => {
    const report = await check(['psql', 'app'], { PGHOST: 'db.prod.internal' });
    expect(report).toMatchObject({ decision: 'approve', rules: ['pg-prod-env'] });
  });

  it('running the approve case fails closed (125) without running anything', async () => {
    const result = await runGate(['--', 'kubectl', 'delete', 'namespace', 'payments', '--context', 'prod'], { home: home.path });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('approval required by rule "k8s-delete-cluster-scoped"');
  });
});
