import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/gate.js';
import { FIXTURE_BIN } from './common.js';

const names = readdirSync(FIXTURE_BIN).sort();

describe('fixture executables', () => {
  it('exist', () => {
    expect(names).toEqual(expect.arrayContaining(['print-argv', 'exit-with', 'trap-signal', 'sleep-forever', 'read-stdin', 'is-tty']));
  });

  it.each(names)('%s has a shebang and the executable bit', (name) => {
    const path = join(FIXTURE_BIN, name);
    expect(readFileSync(path, 'utf8')).toMatch(/^#!(\/usr\/bin\/env node|\/bin\/sh)\n/);
    expect(statSync(path).mode & 0o111).toBe(0o111);
  });

  it('git records them as executable (mode 100755) once they are tracked', () => {
    let listing: string;
    try {
      listing = execFileSync('git', ['ls-files', '--stage', '--', relative(ROOT, FIXTURE_BIN)], { cwd: ROOT, encoding: 'utf8' });
    } catch {
      return; // not a git checkout (e.g. an unpacked tarball): nothing to check
    }
    for (const line of listing.split('\n').filter(Boolean)) expect(line, line).toMatch(/^100755 /);
  });
});
