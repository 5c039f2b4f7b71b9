import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/shell/run-analysis.js';
import { analyzeArgv } from '../../src/shell/index.js';
import { interpreterSpec } from '../../src/shell/interpreters.js';
import { shellDialect } from '../../src/shell/shells.js';
import { isSpecialProgram, SPECIAL_NAMES } from '../../src/shell/special.js';
import { BUILTIN_WRAPPERS } from '../../src/shell/wrappers.js';

/** The fast path of `gate -- ARGV` must be exactly what the analyzer would return. */
describe('special programs and the argv fast path', () => {
  it('lists every built-in wrapper, shell and interpreter the analyzer handles', () => {
    for (const doc of BUILTIN_WRAPPERS) for (const name of typeof doc.name === 'string' ? [doc.name] : doc.name) expect(isSpecialProgram(name), name).toBe(true);
    for (const name of ['python3.12', 'pypy3', 'node20', 'perl5.36', 'ruby3.2', 'php8.2', 'lua5.4', 'Rscript', 'pwsh', 'gdb', 'vim', 'emacs-29', 'ipython3', 'bun']) {
      expect(interpreterSpec(name), name).toBeDefined();
      expect(isSpecialProgram(name), name).toBe(true);
    }
    for (const name of SPECIAL_NAMES) if (shellDialect(name) !== undefined) expect(isSpecialProgram(name)).toBe(true);
    for (const name of ['ls', 'cat', 'grep', 'npm-check', 'make', 'python-config', 'nodemon', 'rm', 'cp']) expect(isSpecialProgram(name), name).toBe(false);
  });

  it.each([[['true']], [['ls', '-la', '$HOME']], [['/usr/bin/rm', '-rf', '/']], [['kubectl2', 'x']], [['']]])('%j: fast path equals the analyzer', async (argv) => {
    const fast = await analyzeArgv(argv, { env: { BASH_ENV: 'x' } });
    expect(fast).toEqual(runAnalysis(undefined, { form: 'argv', argv }, { env: { BASH_ENV: 'x' } }));
  });

  it('takes the analyzer for site wrappers and special programs', async () => {
    const site = await analyzeArgv(['with-vault', 'rm', '-rf', 'x'], { wrappers: [{ name: 'with-vault' }] });
    expect(site.invocations).toHaveLength(2);
    expect((await analyzeArgv(['sudo', 'rm', 'x'])).invocations).toHaveLength(2);
  });
});
