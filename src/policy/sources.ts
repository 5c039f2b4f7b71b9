import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { GateError } from '../errors.js';

/** Expands directories to their *.yaml / *.yml files in name order. */
export function expandSources(sources: readonly string[]): string[] {
  const files: string[] = [];
  for (const source of sources) {
    const path = resolve(source);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (cause) {
      throw new GateError('POLICY_NOT_FOUND', `policy not found: ${source}`, {
        hint: 'check --policy, GATE_POLICY or `gate config get policy`',
        cause,
      });
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const entries = readdirSync(path)
      .filter((name) => ['.yaml', '.yml'].includes(extname(name)))
      .sort();
    if (entries.length === 0) {
      throw new GateError('POLICY_NOT_FOUND', `policy directory has no .yaml files: ${source}`, {
        hint: 'an empty policy directory would silently allow everything; add a policy or point elsewhere',
      });
    }
    files.push(...entries.map((name) => join(path, name)));
  }
  return files;
}

