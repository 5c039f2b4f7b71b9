import { describe, expect, it } from 'vitest';
import { SIGNAL_NAMES, type SignalName } from '../../src/shell/signals.js';
import { argv, signals, text } from './helpers.js';

/**
 * Every fail-closed signal, with the text it points at. Positions are offsets into the analyzed
 * source, also for code nested in `bash -c '...'` strings (they point into the quoted string).
 */
const CASES: readonly [SignalName, string, string][] = [
  ['parse-error', 'echo "unterminated', '"'],
  ['parse-error', "bash -c 'echo $('", '$'],
  ['dynamic-program-name', 'ls; $(echo rm) -rf x', '$(echo rm)'],
  ['dynamic-program-name', '"$CMD" x', '"$CMD"'],
  ['brace-or-glob-program-name', '{rm,-rf,x}', '{rm,-rf,x}'],
  ['brace-or-glob-program-name', '/usr/bin/r[m] x', '/usr/bin/r[m]'],
  ['loader-env-assignment', 'LD_PRELOAD=/tmp/x.so ls', 'LD_PRELOAD=/tmp/x.so'],
  ['loader-env-assignment', 'env PATH=/tmp ls', 'PATH=/tmp'],
  ['loader-env-assignment', 'export BASH_ENV=./x; bash -c true', 'BASH_ENV=./x'],
  ['loader-env-assignment', 'read -r PATH < f', 'PATH'],
  ['shell-c-dynamic', 'bash -c "$X"', '"$X"'],
  ['dialect-ambiguous', "sh -c 'echo $\"x\"'", '$"x"'],
  ['dialect-ambiguous', "sh -c '[[ -f x ]]'", '[[ -f x ]]'],
  ['dialect-ambiguous', "fish -c 'ls'", "'ls'"],
  ['shell-runs-script-file', 'bash ./deploy.sh', './deploy.sh'],
  ['shell-reads-stdin', 'ls; bash', 'bash'],
  ['code-piped-into-shell', 'curl x | sh', 'sh'],
  ['code-piped-into-shell', 'bash < x.sh', 'bash'],
  ['code-piped-into-shell', 'bash <(curl x)', '<(curl x)'],
  ['code-piped-into-interpreter', 'curl x | python3', 'python3'],
  ['interpreter-reads-stdin', 'node', 'node'],
  ['interpreter-inline-code', "python3 -c 'import os'", "'import os'"],
  ['interpreter-inline-code', "perl -ne 'print' f", "-ne"],
  ['eval-dynamic', 'eval "$X"', '"$X"'],
  ['eval-dynamic', 'trap "$X" EXIT', '"$X"'],
  ['source-file', 'source ./env.sh', './env.sh'],
  ['source-file', '. ./env.sh', './env.sh'],
  ['prompt-expansion', 'echo "${x@P}"', '${x@P}'],
  ['arithmetic-code', "x='a[$(id)]'; echo $((x))", "x='a[$(id)]'"],
  ['awk-exec', "awk 'BEGIN{system(\"id\")}'", "'BEGIN{system(\"id\")}'"],
  ['sed-e-command', "sed 's/x/id/e' f", "'s/x/id/e'"],
  ['git-config-exec', "git -c core.pager=id log", 'core.pager=id'],
  ['program-option-exec', 'git clone --upload-pack=x repo', '--upload-pack=x'],
  ['client-shell-escape', "psql -c '\\! id'", "'\\! id'"],
  ['hash-p', 'hash -p /bin/rm ls', '-p'],
  ['enable-f', 'enable -f ./x.so x', '-f'],
  ['wrapper-dynamic-arg', "env -S 'a ${B}'", "'a ${B}'"],
  ['remote-command-dynamic', 'ssh host "$CMD"', '"$CMD"'],
  ['remote-shell-stdin', 'ssh host', 'host'],
  ['exec-unparsed', 'kubectl exec pod ls', 'ls'],
  ['program-created-in-script', 'cp /bin/rm ./del; ./del -rf x', './del -rf x'],
];

describe('fail-closed signals and their positions', () => {
  it.each(CASES)('%s: %s', (name, command, at) => {
    const found = signals(text(command));
    expect(found, JSON.stringify(found)).toContain(`${name}@${at}`);
  });

  it('points into nested strings: the span is inside the quoted -c argument', () => {
    const a = text("ls && bash -c 'echo ok; eval \"$X\"'");
    const s = a.signals.find((x) => x.name === 'eval-dynamic')!;
    expect(a.source.slice(s.start, s.end)).toBe('"$X"');
  });

  it('inherited-shell-env: argv form with BASH_ENV or exported functions in the environment', () => {
    expect(signals(argv(['bash', '-c', 'ls'], { env: { BASH_ENV: '/tmp/x' } })).map((s) => s.split('@')[0])).toContain('inherited-shell-env');
    expect(signals(argv(['bash', '-c', 'ls'], { env: { 'BASH_FUNC_ls%%': '() { id; }' } })).map((s) => s.split('@')[0])).toContain('inherited-shell-env');
    expect(argv(['ls'], { env: { BASH_ENV: '/tmp/x' } }).signals).toEqual([]);
  });

  it('every signal has a stable kebab-case name and a message', () => {
    for (const name of SIGNAL_NAMES) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const covered = new Set([...CASES.map(([n]) => n), 'inherited-shell-env', 'input-too-large', 'nesting-too-deep', 'analysis-limit', 'analysis-error']);
    for (const name of SIGNAL_NAMES) expect(covered, name).toContain(name);
  });

  it('harmless text raises nothing', () => {
    for (const t of ['echo "rm -rf /"', "cat <<'EOF'\n$(rm -rf /)\nEOF", '# rm -rf /', 'git commit -m "eval $(x)"', 'grep -r "curl | sh" docs']) {
      expect(text(t).signals, t).toEqual([]);
    }
  });
});
