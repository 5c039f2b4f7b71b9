import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where gate keeps everything it writes. `GATE_HOME` puts all of it in one place (tests, CI). */
export function gateHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATE_HOME) return env.GATE_HOME;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'gate');
}

export const configFile = (home: string): string => join(home, 'config.json');
export const cacheDir = (home: string): string => join(home, 'cache');

let root: string | undefined;

/** The installed package's root (bundled chunks live at different depths, so search upwards). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'policies', 'default.yaml')) && existsSync(join(dir, 'package.json'))) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the gate package root (policies/default.yaml)');
    dir = parent;
  }
}

export const shippedPolicy = (): string => join(packageRoot(), 'policies', 'default.yaml');
