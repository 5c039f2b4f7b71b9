import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/gate.js';

/** Every file `import`ed statically from `file`, transitively (what node loads before main runs). */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)) staticGraph(resolve(dirname(file), match[1]!), seen);
  return seen;
}

describe('bundle layout (src/bundle-layout.ts)', () => {
  // Each extra file on the allow path costs start-up time on every command; a lazily loaded module
  // that forgets `import '../bundle-layout.js'` splits the allow path into more chunks.
  it('gate -- <cmd> loads at most three files before deciding: main and two chunks', () => {
    const files = staticGraph(join(ROOT, 'dist', 'main.js'));
    expect([...files].map((f) => f.slice(ROOT.length + 1)), 'a lazily imported module lacks `import bundle-layout`').toHaveLength(3);
  });

  it('the allow path does not load the audit, approval or server code', () => {
    const text = [...staticGraph(join(ROOT, 'dist', 'main.js'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const marker of ['fs-ext', 'sodium-native', 'better-sqlite3', 'log.recovered', 'gate.audit.checkpoint']) expect(text).not.toContain(marker);
  });
});
