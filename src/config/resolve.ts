import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { GateError } from '../errors.js';
import type { RequesterKind } from '../policy/types.js';
import { configFile, gateHome, shippedPolicy } from './paths.js';

/** User settings as stored in `<GATE_HOME>/config.json` (written by `gate config set`, via conf). */
export interface UserConfig {
  readonly policy?: readonly string[];
  readonly serverUrl?: string;
  /** Bearer token for the approval service (GATE_TOKEN overrides it). */
  readonly token?: string;
  /** The approval service's public key (base64 SPKI), pinned by configuration instead of on first use. */
  readonly serverKey?: string;
  readonly identity?: { readonly name?: string; readonly kind?: RequesterKind };
  /** Where this host's audit log lives (GATE_AUDIT_LOG overrides it). */
  readonly auditLog?: string;
}

export const CONFIG_KEYS = ['policy', 'serverUrl', 'token', 'serverKey', 'identity.name', 'identity.kind', 'auditLog'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

const REQUESTER_KINDS: readonly RequesterKind[] = ['human', 'agent', 'ci'];

/**
 * Reads the config file directly (JSON.parse, no conf): this runs on every command, and conf
 * costs ~20 ms of start-up. A missing file is an empty config; a broken one is an error.
 */
export function readUserConfig(home: string = gateHome()): UserConfig {
  const file = configFile(home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new GateError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new GateError('CONFIG_INVALID', `${file}: not valid JSON: ${(error as Error).message}`, {
      hint: `fix or delete the file; \`gate config list\` shows what it should hold`,
    });
  }
  return checkConfig(data, file);
}

function checkConfig(data: unknown, file: string): UserConfig {
  const bad = (field: string, expected: string): never => {
    throw new GateError('CONFIG_INVALID', `${file}: ${field}: expected ${expected}`, { hint: 'fix it with `gate config set`' });
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('(top level)', 'an object');
  const raw = data as Record<string, unknown>;
  const out: { policy?: string[]; serverUrl?: string; token?: string; serverKey?: string; auditLog?: string; identity?: { name?: string; kind?: RequesterKind } } = {};
  if (raw.policy !== undefined) {
    if (!Array.isArray(raw.policy) || !raw.policy.every((p) => typeof p === 'string' && p !== '')) bad('policy', 'a list of paths');
    out.policy = raw.policy as string[];
  }
  if (raw.serverUrl !== undefined) {
    if (typeof raw.serverUrl !== 'string') bad('serverUrl', 'a URL string');
    out.serverUrl = raw.serverUrl as string;
  }
  for (const key of ['token', 'serverKey', 'auditLog'] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] !== 'string' || raw[key] === '') bad(key, 'a non-empty string');
    out[key] = raw[key] as string;
  }
  if (raw.identity !== undefined) {
    const identity = raw.identity as Record<string, unknown>;
    if (typeof identity !== 'object' || identity === null) bad('identity', 'an object');
    if (identity.name !== undefined && typeof identity.name !== 'string') bad('identity.name', 'a string');
    if (identity.kind !== undefined && !REQUESTER_KINDS.includes(identity.kind as RequesterKind)) bad('identity.kind', 'human, agent or ci');
    out.identity = { ...(identity.name !== undefined ? { name: identity.name as string } : {}), ...(identity.kind !== undefined ? { kind: identity.kind as RequesterKind } : {}) };
  }
  return out;
}

/** Which policy files apply, in precedence order: --policy, GATE_POLICY, config, shipped default. */
export function policySources(flags: readonly string[], env: NodeJS.ProcessEnv, config: UserConfig): { sources: string[]; origin: string } {
  if (flags.length > 0) return { sources: [...flags], origin: '--policy' };
  if (env.GATE_POLICY) return { sources: env.GATE_POLICY.split(delimiter).filter((p) => p !== ''), origin: 'GATE_POLICY' };
  if (config.policy && config.policy.length > 0) return { sources: [...config.policy], origin: 'config' };
  return { sources: [shippedPolicy()], origin: 'shipped default' };
}
