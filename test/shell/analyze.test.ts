import { describe, expect, it } from 'vitest';
import { argv, parts, signalNames, text, viaParts } from './helpers.js';

/** Structure of an analysis: layers, where stdin comes from, names the text defines, argv form. */
describe('stdin decides whether a shell runs code gate can see', () => {
  it.each([
    ['bash', ['shell-reads-stdin']],
    ['bash < /dev/null', []],
    ['bash & wait', []],
    ['echo ls | bash', ['code-piped-into-shell']],
    ['bash < script.sh', ['code-piped-into-shell']],
    ['{ bash; } < script.sh', ['code-piped-into-shell']],
    ['while read -r l; do bash; done < f', ['code-piped-into-shell']],
    ['f() { bash; }', ['code-piped-into-shell']],
    ['echo x | ( cat; bash )', ['code-piped-into-shell']],
    ["bash <<< 'ls'", []],
    ['bash <<< "$X"', ['code-piped-into-shell']],
    ["bash <<'EOF'\nls\nEOF", []],
    ['bash <<EOF\nls $X\nEOF', ['code-piped-into-shell']],
    ['bash -s arg < /dev/null', []],
    ['bash /dev/stdin < f', ['code-piped-into-shell']],
    ['python3 < f.py', ['code-piped-into-interpreter']],
    ["python3 <<'EOF'\nprint(1)\nEOF", ['interpreter-inline-code']],
    ['python3 script.py < data.csv', []],
  ])('%j -> %j', (command, expected) => {
    expect(signalNames(text(command))).toEqual(expected);
  });

  it('parses a literal here-document fed to a shell as commands, in that shell\'s dialect', () => {
    expect(viaParts(text("sh <<'EOF'\nrm -rf x\nEOF"))).toContain('sh <<: rm -rf x');
    expect(signalNames(text("sh <<'EOF'\necho $'x'\nEOF"))).toEqual(['dialect-ambiguous']);
  });

  it('an interpreter started inside a here-document reads the rest of it as code', () => {
    expect(signalNames(text("bash <<'EOF'\npython3\nprint(1)\nEOF"))).toContain('code-piped-into-interpreter');
  });
});

describe('layers and names', () => {
  it('records the parent of each unwrapped layer', () => {
    const a = text('sudo env A=1 rm -rf x');
    expect(a.invocations.map((i) => i.parent)).toEqual([undefined, 0, 1]);
    expect(a.invocations[2]!.via).toEqual(['sudo', 'env']);
  });

  it('marks calls to functions and aliases the text defines; analyzes their bodies and values', () => {
    const a = text("ls() { rm -rf x; }; alias ll='ls -la'; ls; ll");
    expect(parts(a)).toContain('rm -rf x');
    const defined = a.invocations.filter((i) => i.defined !== undefined).map((i) => `${i.argv.map((w) => (w.kind === 'literal' ? w.value : '?')).join(' ')}: ${i.defined}`);
    expect(defined).toEqual(['ls -la: function', 'ls: function', 'll: alias', 'ls -la: function']);
  });

  it('expands an alias call with its arguments', () => {
    expect(viaParts(text('alias k=kubectl; k delete ns x'))).toContain('alias k: kubectl delete ns x');
  });

  it('reads SQL from a here-document as a -c / -e layer of the client', () => {
    expect(viaParts(text("psql app <<'EOF'\nDROP TABLE t;\nEOF"))).toContain('psql <<: psql app -c DROP TABLE t;\n');
    expect(viaParts(text("mysql shop <<< 'DELETE FROM t'"))).toContain('mysql <<: mysql shop -e DELETE FROM t\n');
  });

  it('keeps redirect targets and assignment values as places where substitutions run', () => {
    expect(parts(text('echo > "$(rm a)"; X=$(rm b) true; Y=1'))).toEqual(['echo', 'rm a', 'true', 'rm b']);
  });
});

describe('argv form', () => {
  it('is matched as exec would run it: no splitting, no quote removal', () => {
    expect(parts(argv(['rm', '-rf', 'a b', '$HOME', '*']))).toEqual(['rm -rf a b $HOME *']);
  });

  it('unwraps shells and wrappers; spans index the argv joined with spaces', () => {
    const a = argv(['sudo', 'bash', '-c', 'kubectl delete ns x']);
    expect(parts(a)).toEqual(['sudo bash -c kubectl delete ns x', 'bash -c kubectl delete ns x', 'kubectl delete ns x']);
    const inner = a.invocations[2]!.span!;
    expect(a.source.slice(inner.start, inner.end)).toBe('kubectl delete ns x');
  });

  it('a bare shell in argv form reads the caller\'s stdin', () => {
    expect(signalNames(argv(['bash']))).toEqual(['shell-reads-stdin']);
  });
});
