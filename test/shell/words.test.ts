import { describe, expect, it } from 'vitest';
import { decodeAnsiC } from '../../src/shell/ansi-c.js';
import { parts, signalNames, text } from './helpers.js';

/** Word resolution: quotes, escapes, $'...', continuations, tilde and environment values. */
describe('words are unquoted exactly as bash does', () => {
  it.each([
    ["r''m x", 'rm x'],
    ['r""m x', 'rm x'],
    ['\\rm x', 'rm x'],
    ['"rm" \'x y\'', 'rm x y'],
    ['rm a\\ b', 'rm a b'],
    ['rm "a\\"b" "c\\$d" "e\\\\f" "g\\h"', 'rm a"b c$d e\\f g\\h'],
    ['rm "x\\\ny"', 'rm xy'],
    ["rm 'x\\\ny'", "rm x\\\ny"],
    ['r\\\nm x', 'rm x'],
    ["$'\\x72\\x6d' x", 'rm x'],
    ["$'\\162\\155' x", 'rm x'],
    ["$'\\u0072m' x", 'rm x'],
    ["rm $'a\\tb' $'c\\'d' $'\\e[0m'", "rm a\tb c'd \x1b[0m"],
  ])('%j -> %j', (input, expected) => {
    expect(parts(text(input))).toEqual([expected]);
  });

  it('decodes $\'...\' like bash 5.2, and refuses what it cannot reproduce', () => {
    expect(decodeAnsiC("$'a\\x41\\101\\u0041\\q\\?'")).toBe('aAAA\\q?');
    expect(decodeAnsiC("$'a\\\nb'")).toBe('a\\\nb'); // backslash-newline stays (unbash drops it)
    for (const unsure of ["$'\\x{41}'", "$'\\cA'", "$'r\\0m'", "$'\\xff'", "$'\\u00e9'"]) expect(decodeAnsiC(unsure), unsure).toBeNull();
  });

  it('makes expansions, substitutions, globs and braces unknown', () => {
    expect(parts(text('rm $x "$y" ${z} $(a) `b` $((1)) *.o {a,b} ~user/x'))[0]).toBe('rm ?$x ?"$y" ?${z} ?$(a) ?`b` ?$((1)) ?*.o ?{a,b} ?~user/x');
  });

  it('treats quoted glob characters and lone braces as literal', () => {
    expect(parts(text('find . -name "*.ts" -o -name \'[a]\' {} \\*'))[0]).toBe('find . -name *.ts -o -name [a] {} *');
  });

  it('does not split or glob assignment values', () => {
    const a = text('X=* Y={a,b} Z="$HOME" make');
    expect(a.invocations[0]!.assignments.map((x) => [x.name, x.value.kind === 'literal' ? x.value.value : '?'])).toEqual([['X', '*'], ['Y', '{a,b}'], ['Z', '?']]);
  });
});

describe('values from the environment', () => {
  const env = { HOME: '/home/dev', PROJECT: '/srv/app', SPACED: 'a b', PATH: '/usr/bin', GLOB: 'x*' };

  it('resolves $NAME, ${NAME} and a leading ~ when the text never assigns them', () => {
    expect(parts(text('rm -rf "$HOME/x" ${PROJECT} ~/y ~', { env }))[0]).toBe('rm -rf /home/dev/x /srv/app /home/dev/y /home/dev');
  });

  it('resolves $PWD to the working directory given, not the environment', () => {
    expect(parts(text('ls "$PWD"', { env: { PWD: '/elsewhere' }, cwd: '/work' }))[0]).toBe('ls /work');
  });

  it('never resolves a name the text assigns, reads, loops over or may change', () => {
    for (const t of ['HOME=/; rm -rf "$HOME"', 'read HOME; rm -rf "$HOME"', 'for HOME in /; do rm -rf "$HOME"; done', 'export HOME=/; rm -rf "$HOME"', ': ${HOME:=/}; rm -rf "$HOME"', 'cd /; rm -rf "$PWD"']) {
      expect(parts(text(t, { env, cwd: '/work' })).some((p) => p.startsWith('rm -rf ?')), t).toBe(true);
    }
  });

  it('resolves nothing after a nameref, an IFS change or an arithmetic assignment through a variable', () => {
    for (const t of ['declare -n r=PROJECT; r=/; rm -rf "$PROJECT"', 'IFS=:; rm -rf $PROJECT', 'n=PROJECT; (( $n = 0 )); rm -rf "$PROJECT"', 'exec {PROJECT}>x; rm -rf "$PROJECT"']) {
      expect(parts(text(t, { env })).some((p) => p.startsWith('rm -rf ?')), t).toBe(true);
    }
  });

  it('never resolves inside strings run by another user, host or container, or a cleared environment', () => {
    for (const t of ["sudo bash -c 'rm -rf $PROJECT'", "env -i bash -c 'rm -rf ~'", "env -u PROJECT sh -c 'rm -rf /$PROJECT'", "ssh host 'rm -rf $PROJECT'", "docker exec c sh -c 'rm -rf $HOME'"]) {
      expect(parts(text(t, { env })).some((p) => p.startsWith('rm -rf ?')), t).toBe(true);
    }
    expect(parts(text("timeout 5 bash -c 'rm -rf $PROJECT'", { env }))).toContain('rm -rf /srv/app');
  });

  it('resolves nothing when the text may assign any variable (eval of unknown text, source)', () => {
    expect(parts(text('eval "$X"; rm "$HOME"', { env }))).toContain('rm ?"$HOME"');
    expect(parts(text('source ./env.sh; rm "$HOME"', { env }))).toContain('rm ?"$HOME"');
  });

  it('keeps unquoted values that would split or glob unknown, and never resolves PATH or IFS', () => {
    expect(parts(text('ls $SPACED $GLOB "$SPACED" $PATH $IFS', { env }))[0]).toBe('ls ?$SPACED ?$GLOB a b ?$PATH ?$IFS');
  });

  it('resolves inside nested shell strings too', () => {
    expect(parts(text("bash -c 'rm -rf \"$HOME\"'", { env }))).toContain('rm -rf /home/dev');
  });

  it('without an environment, every expansion stays unknown', () => {
    expect(signalNames(text('ls "$HOME"'))).toEqual([]);
    expect(parts(text('ls "$HOME"'))[0]).toBe('ls ?"$HOME"');
  });
});
