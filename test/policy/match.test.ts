import { describe, expect, it } from 'vitest';
import { compileYaml, decideArgv, decideShell, ruleIds } from '../helpers/policy.js';

const policy = compileYaml(`
version: 1
defaults: { unmatched: allow }
rules:
  - id: k8s-delete
    decision: approve
    program: [kubectl, oc]
    subcommand: [[delete, drain]]
  - id: k8s-prod
    decision: approve
    program: kubectl
    options: { name: [--context], value: "*prod*" }
  - id: k8s-kube-system
    decision: deny
    program: kubectl
    subcommand: [delete]
    options: { name: [-n, --namespace], value: kube-system }
  - id: force-push
    decision: approve
    program: git
    subcommand: [push]
    flags: [--force, -f, --force-with-lease, --mirror]
  - id: plus-refspec
    decision: approve
    program: git
    subcommand: [push]
    args: ["+*"]
  - id: rm-rf
    decision: approve
    program: rm
    flags: [-r, -R, --recursive]
  - id: rm-root
    decision: deny
    program: rm
    args: { regex: '^/+$' }
  - id: sql-drop
    decision: deny
    program: psql
    options: { name: [-c, --command], value: { regex: '\\bdrop\\s+table\\b', ignore_case: true } }
  - id: pg-prod
    decision: approve
    program: psql
    env: { PGHOST: "*prod*" }
  - id: agents-terraform
    decision: approve
    program: terraform
    subcommand: [apply]
    requester: agent
    unless: { flags: [-destroy] }
  - id: tf-destroy
    decision: deny
    program: terraform
    flags: [-destroy]
  - id: srv-only
    decision: approve
    program: make
    cwd: "/srv/*"
`);

describe('program names', () => {
  it.each([['rm', '-rf', 'x'], ['/bin/rm', '-rf', 'x'], ['./rm', '-rf', 'x'], ['/usr/bin/../bin/rm', '-r', '-f', 'x']])('%s is rm', (...argv) => {
    expect(decideArgv(policy, argv).kind).toBe('approve');
  });
  it('a different program with rm in its path is not rm', () => {
    expect(decideArgv(policy, ['/opt/rm/bin/ls', '-rf']).kind).toBe('allow');
  });
});

describe('subcommands behind options', () => {
  it.each([
    ['kubectl', 'delete', 'ns', 'x'],
    ['kubectl', '--context', 'dev', '-n', 'x', 'delete', 'ns', 'y'],
    ['kubectl', '-n', 'x', '--kubeconfig=/k', 'drain', 'node1'],
    ['kubectl', '-nx', 'delete', 'pod', 'p'],
    ['oc', '--request-timeout', '5s', 'delete', 'pod', 'p'],
  ])('%j needs approval', (...argv) => {
    expect(ruleIds(decideArgv(policy, argv))).toContain('k8s-delete');
  });
  it('a value that happens to be a verb is not the verb', () => {
    // -n takes a value, so "delete" is the namespace and the verb is get.
    expect(decideArgv(policy, ['kubectl', '-n', 'delete', 'get', 'pods']).kind).toBe('allow');
  });
  it('an unknown option makes the reading uncertain, and uncertainty asks', () => {
    const d = decideArgv(policy, ['kubectl', '--frobnicate', 'delete', 'get', 'pods']);
    expect(d.kind).toBe('approve');
    expect(d.matches.find((m) => m.rule.id === 'k8s-delete')?.certain).toBe(false);
  });
  it('after --, words are positionals', () => {
    expect(decideArgv(policy, ['kubectl', '--', 'delete', 'ns', 'x']).kind).toBe('approve');
  });
});

describe('options with values in every spelling', () => {
  it.each([
    ['kubectl', '--context', 'prod-eu', 'get', 'pods'],
    ['kubectl', '--context=prod-eu', 'get', 'pods'],
    ['kubectl', 'get', 'pods', '--context', 'eu-prod'],
  ])('%j matches the prod context', (...argv) => {
    expect(ruleIds(decideArgv(policy, argv))).toContain('k8s-prod');
  });
  it.each([
    ['kubectl', '-n', 'kube-system', 'delete', 'pod', 'x'],
    ['kubectl', '-nkube-system', 'delete', 'pod', 'x'],
    ['kubectl', '--namespace=kube-system', 'delete', 'pod', 'x'],
    ['kubectl', 'delete', 'pod', 'x', '--namespace', 'kube-system'],
  ])('%j is denied in kube-system', (...argv) => {
    expect(decideArgv(policy, argv).kind).toBe('deny');
  });
  it('the value belongs to the option, not to a neighbour', () => {
    expect(ruleIds(decideArgv(policy, ['kubectl', '--context', 'dev', 'get', 'prod']))).not.toContain('k8s-prod');
  });
  it('regex on the SQL of one argument, in every option spelling', () => {
    for (const argv of [
      ['psql', '-c', 'DROP TABLE users'],
      ['psql', '--command=drop   table users'],
      ['psql', '-cdrop table x'],
      ['psql', '-h', 'db', '--command', 'select 1;\nDrop Table x'],
    ]) {
      expect(decideArgv(policy, argv).kind, JSON.stringify(argv)).toBe('deny');
    }
    expect(decideArgv(policy, ['psql', '-c', 'select * from droptable']).kind).toBe('allow');
    // The pattern applies per argument, never to the joined command line.
    expect(decideArgv(policy, ['psql', '-c', 'select drop', 'table']).kind).toBe('allow');
  });
});

describe('flags in every spelling', () => {
  it.each([
    ['git', 'push', '--force'],
    ['git', 'push', '-f', 'origin', 'main'],
    ['git', 'push', '-uf', 'origin', 'main'],
    ['git', 'push', 'origin', 'main', '--force'],
    ['git', 'push', '--force-with-lease=main'],
    ['git', 'push', '--force-w'],
    ['git', '-C', '/repo', 'push', '--mirror'],
    ['git', 'push', 'origin', '+main'],
  ])('%j is a force push', (...argv) => {
    expect(decideArgv(policy, argv).kind).toBe('approve');
  });
  it.each([
    ['git', 'push', 'origin', 'main'],
    ['git', 'commit', '-m', '--force'],
    ['git', 'push', 'origin', '--', '-f'],
    ['git', 'log', '-f'],
  ])('%j is not a force push', (...argv) => {
    expect(decideArgv(policy, argv).kind).toBe('allow');
  });
  it.each([['rm', '-rf', 'x'], ['rm', '-fr', 'x'], ['rm', '-r', '-f', 'x'], ['rm', '--recursive', 'x'], ['rm', 'x', '-R']])('%j is recursive', (...argv) => {
    expect(ruleIds(decideArgv(policy, argv))).toContain('rm-rf');
  });
  it('rm of the root is denied whatever else matches', () => {
    const d = decideArgv(policy, ['rm', '-rf', '//']);
    expect(d.kind).toBe('deny');
    expect(ruleIds(d)).toEqual(['rm-rf', 'rm-root']);
  });
  it('go-style single-dash long options', () => {
    expect(decideArgv(policy, ['terraform', '-chdir=infra', 'apply', '--destroy']).kind).toBe('deny');
    expect(decideArgv(policy, ['terraform', 'plan', '-destroy']).kind).toBe('deny');
    const find = compileYaml('version: 1\nrules: [{ id: d, decision: approve, program: find, flags: [-delete, -d] }]\n');
    expect(decideArgv(find, ['find', '.', '-name', '*.log', '-delete']).kind).toBe('approve');
    expect(decideArgv(find, ['find', '.', '-d']).kind).toBe('approve');
    expect(decideArgv(find, ['find', '.', '-name', '-delete']).kind).toBe('allow');
  });
});

describe('context conditions', () => {
  it('env', () => {
    expect(decideArgv(policy, ['psql'], { env: { PGHOST: 'db.prod.internal' } }).kind).toBe('approve');
    expect(decideArgv(policy, ['psql'], { env: { PGHOST: 'localhost' } }).kind).toBe('allow');
    expect(decideArgv(policy, ['psql'], { env: {} }).kind).toBe('allow');
  });
  it('an assignment on the command line overrides the environment', () => {
    expect(decideShell(policy, 'PGHOST=prod-db psql', { env: { PGHOST: 'localhost' } }).kind).toBe('approve');
    expect(decideShell(policy, 'PGHOST=localhost psql', { env: { PGHOST: 'prod' } }).kind).toBe('allow');
  });
  it('requester and unless', () => {
    expect(decideArgv(policy, ['terraform', 'apply'], { requester: 'agent' }).kind).toBe('approve');
    expect(decideArgv(policy, ['terraform', 'apply'], { requester: 'human' }).kind).toBe('allow');
  });
  it('cwd', () => {
    expect(decideArgv(policy, ['make', 'deploy'], { cwd: '/srv/app' }).kind).toBe('approve');
    expect(decideArgv(policy, ['make', 'deploy'], { cwd: '/home/dev' }).kind).toBe('allow');
  });
});

describe('words that cannot be known statically', () => {
  it('may satisfy approve and deny rules; a possible deny asks a human instead of refusing', () => {
    // $VERB could be "delete -n kube-system": the deny rule possibly matches, so a human decides.
    const verb = decideShell(policy, 'kubectl $VERB ns x');
    expect(verb.kind).toBe('approve');
    expect(verb.matches.find((m) => m.rule.id === 'k8s-kube-system')).toMatchObject({ certain: false, effect: 'approve' });
    // $X could be "--context prod", but never turns get into delete.
    expect(decideShell(policy, 'kubectl get $X').kind).toBe('approve');
    expect(ruleIds(decideShell(policy, 'kubectl get $X'))).not.toContain('k8s-kube-system');
    expect(decideShell(policy, 'kubectl get pods -o "$FMT"').kind).toBe('allow');
    expect(decideShell(policy, 'rm -rf "$TARGET"').kind).toBe('approve');
    expect(decideShell(policy, 'psql -c "$SQL"').kind).toBe('approve');
    // Certain matches still deny, whatever else is uncertain.
    expect(decideShell(policy, 'rm -rf / "$X"').kind).toBe('deny');
    expect(decideShell(policy, 'psql -c "drop table x" "$Y"').kind).toBe('deny');
  });
  it('an unknown program could be any program', () => {
    const d = decideShell(policy, '$(echo rm) -rf /');
    expect(d.kind).toBe('approve');
    expect(ruleIds(d)).toContain('rm-root');
    expect(d.matches.every((m) => !m.certain)).toBe(true);
  });
  it('never satisfy allow rules', () => {
    const allowList = compileYaml(`
version: 1
defaults: { unmatched: approve }
rules:
  - { id: get, decision: allow, program: kubectl, subcommand: [get] }
  - { id: ls, decision: allow, program: ls }
`);
    expect(decideArgv(allowList, ['kubectl', 'get', 'pods']).kind).toBe('allow');
    expect(decideShell(allowList, 'kubectl $X get pods').kind).toBe('approve');
    expect(decideShell(allowList, 'kubectl --unknown-opt get pods').kind).toBe('approve');
    expect(decideShell(allowList, '$PROG -la').kind).toBe('approve');
    expect(decideShell(allowList, 'ls -la $DIR').kind).toBe('allow');
  });
});

describe('precedence', () => {
  it('deny beats approve beats allow regardless of order and files', () => {
    const p = compileYaml(`
version: 1
rules:
  - { id: a-allow, decision: allow, program: x }
  - { id: b-deny, decision: deny, program: x, args: [bad] }
  - { id: c-approve, decision: approve, program: x }
`);
    expect(decideArgv(p, ['x', 'bad']).kind).toBe('deny');
    expect(decideArgv(p, ['x', 'ok']).kind).toBe('approve');
  });
  it('approval requirements merge: every group, the shortest expiry', () => {
    const p = compileYaml(`
version: 1
defaults: { approval: { expires: 1h } }
rules:
  - { id: a, decision: approve, program: x, approval: { from: [{ group: dba, count: 2 }] } }
  - { id: b, decision: approve, program: x, approval: { from: [{ group: sec }, { group: dba }], expires: 5m, reason_required: true } }
`);
    const d = decideArgv(p, ['x']);
    expect(d.kind).toBe('approve');
    if (d.kind !== 'approve') return;
    expect(d.approval.from).toEqual([{ group: 'dba', count: 2 }, { group: 'sec', count: 1 }]);
    expect(d.approval.expiresSeconds).toBe(300);
    expect(d.approval.reasonRequired).toBe(true);
  });
  it('the unmatched default applies only where no rule matched', () => {
    const p = compileYaml(`
version: 1
defaults: { unmatched: deny }
rules: [{ id: ok, decision: allow, program: ls }]
`);
    expect(decideArgv(p, ['ls']).kind).toBe('allow');
    expect(decideArgv(p, ['cat']).kind).toBe('deny');
    expect(decideShell(p, 'ls; cat x').kind).toBe('deny');
  });
});
