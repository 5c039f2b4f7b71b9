import type Conf from 'conf';
import { resolve } from 'node:path';
import { configFile, gateHome } from '../config/paths.js';
import { CONFIG_KEYS, readUserConfig, type ConfigKey } from '../config/resolve.js';
import { GateError } from '../errors.js';

async function store(): Promise<Conf<Record<string, unknown>>> {
  readUserConfig(); // A corrupt file is reported as such (naming it), not as conf's internal error.
  // conf owns writes (atomic, permissions); the hot path reads the same file with JSON.parse.
  const { default: Conf } = await import('conf');
  return new Conf<Record<string, unknown>>({ cwd: gateHome(), configName: 'config', projectSuffix: '', clearInvalidConfig: false });
}

function checkKey(key: string): ConfigKey {
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
    throw new GateError('USAGE', `unknown config key "${key}"`, { hint: `known keys: ${CONFIG_KEYS.join(', ')}` });
  }
  return key as ConfigKey;
}

export async function configGet(key: string): Promise<number> {
  const config = readUserConfig();
  const value = checkKey(key).split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
  if (value !== undefined) process.stdout.write(`${Array.isArray(value) ? value.join('\n') : String(value)}\n`);
  return value === undefined ? 1 : 0;
}

export async function configSet(key: string, values: readonly string[]): Promise<number> {
  const k = checkKey(key);
  if (values.length === 0) throw new GateError('USAGE', `config set ${k} needs a value`);
  let value: unknown = values[0];
  // Stored absolute: a relative path would mean different files from every working directory.
  if (k === 'policy') value = values.map((v) => resolve(v));
  else if (values.length > 1) throw new GateError('USAGE', `config key ${k} takes one value`);
  else if (k === 'auditLog') value = resolve(String(value));
  if (k === 'identity.kind' && !['human', 'agent', 'ci'].includes(String(value))) {
    throw new GateError('USAGE', `identity.kind must be human, agent or ci; got "${String(value)}"`);
  }
  if (k === 'serverUrl') {
    try {
      const url = new URL(String(value));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new GateError('USAGE', `serverUrl must be an http(s) URL; got "${String(value)}"`);
    }
  }
  (await store()).set(k, value);
  readUserConfig(); // Proves the file still reads back on the hot path.
  return 0;
}

export async function configUnset(key: string): Promise<number> {
  (await store()).delete(checkKey(key));
  return 0;
}

export async function configList(): Promise<number> {
  process.stdout.write(`# ${configFile(gateHome())}\n${JSON.stringify(readUserConfig(), null, 2)}\n`);
  return 0;
}
