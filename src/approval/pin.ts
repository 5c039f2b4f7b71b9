import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalError } from './errors.js';
import type { ServerKey } from './protocol.js';
import { keyId, publicKeyFromBase64 } from './receipt.js';

/** `$GATE_HOME/known-servers.json`: one pinned public key per server URL (like ssh's known_hosts). */
export interface KnownServers {
  readonly version: 1;
  readonly servers: Readonly<Record<string, { readonly public_key: string; readonly key_id: string; readonly pinned_at: string }>>;
}

export const knownServersFile = (home: string): string => join(home, 'known-servers.json');

export interface PinnedKey {
  readonly key: KeyObject;
  readonly keyId: string;
  /** How the key came to be trusted. */
  readonly source: 'config' | 'known-servers' | 'first-use';
}

/**
 * The key receipts must be signed with: the configured `serverKey` if set, else the key pinned for
 * this server URL, else (first use) the key the server presents now, which gets pinned. A server
 * presenting any other key fails closed; re-pinning is always a deliberate act by the user.
 */
export function pinServerKey(serverUrl: string, presented: ServerKey, configKey: string | undefined, home: string, now: Date): PinnedKey {
  const offered = serverKeyObject(presented);
  if (configKey !== undefined) {
    const configured = parseConfiguredKey(configKey);
    if (!sameKey(configured, offered)) {
      throw new ApprovalError('pin_mismatch', `the approval service at ${serverUrl} presents key ${keyId(offered)}, but the configured serverKey is ${keyId(configured)}`, {
        hint: 'someone may be impersonating the server, or its key was rotated; if you trust the new key, set it with `gate config set serverKey <base64 key>`',
      });
    }
    return { key: configured, keyId: keyId(configured), source: 'config' };
  }
  const file = knownServersFile(home);
  const known = readKnownServers(file);
  const entry = known.servers[serverUrl];
  if (entry !== undefined) {
    let pinned: KeyObject;
    try {
      pinned = publicKeyFromBase64(entry.public_key);
    } catch {
      throw new ApprovalError('pin_mismatch', `${file}: the key pinned for ${serverUrl} is not a valid public key`, {
        hint: `delete the entry for ${serverUrl} from ${file} to pin again on next use`,
      });
    }
    if (!sameKey(pinned, offered)) {
      throw new ApprovalError(
        'pin_mismatch',
        `the approval service at ${serverUrl} presents key ${keyId(offered)}, but key ${keyId(pinned)} was pinned for it on ${entry.pinned_at}; refusing to trust it`,
        {
          hint: `someone may be impersonating the server, or its key was rotated. Check with the server's admin (\`gate serve\` prints its key id). To trust the new key deliberately, run \`gate config set serverKey ${presented.public_key}\` or delete the entry for ${serverUrl} from ${file}`,
        },
      );
    }
    return { key: pinned, keyId: keyId(pinned), source: 'known-servers' };
  }
  const servers = { ...known.servers, [serverUrl]: { public_key: presented.public_key, key_id: keyId(offered), pinned_at: now.toISOString() } };
  writeKnownServers(home, file, { version: 1, servers });
  return { key: offered, keyId: keyId(offered), source: 'first-use' };
}

/** The canonical map key for a server: origin plus path, no trailing slash. */
export function serverIdentity(serverUrl: string): string {
  const url = new URL(serverUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function serverKeyObject(presented: ServerKey): KeyObject {
  let key: KeyObject;
  try {
    key = publicKeyFromBase64(presented.public_key);
  } catch {
    throw new ApprovalError('malformed', 'the approval service sent a public key that cannot be read');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ApprovalError('malformed', `the approval service's key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  if (presented.key_id !== keyId(key)) throw new ApprovalError('malformed', "the approval service's key id does not match its key");
  return key;
}

function parseConfiguredKey(configKey: string): KeyObject {
  try {
    const key = publicKeyFromBase64(configKey);
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // reported below
  }
  throw new ApprovalError('pin_mismatch', 'the configured serverKey is not a base64 Ed25519 public key (SPKI DER)', {
    hint: 'fix it with `gate config set serverKey <key>` (the `public_key` of GET /v1/key), or `gate config unset serverKey` to pin on first use',
  });
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  const x = a.export({ format: 'der', type: 'spki' });
  const y = b.export({ format: 'der', type: 'spki' });
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readKnownServers(file: string): KnownServers {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
    throw new ApprovalError('pin_mismatch', `cannot read ${file}: ${(error as Error).message}`);
  }
  const bad = (): never => {
    throw new ApprovalError('pin_mismatch', `${file} is not a valid known-servers file`, {
      hint: 'fix it or delete it (every server will be pinned again on next use)',
    });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad();
  }
  const d = data as Partial<KnownServers> | null;
  if (typeof d !== 'object' || d === null || d.version !== 1 || typeof d.servers !== 'object' || d.servers === null) return bad();
  const servers: Record<string, KnownServers['servers'][string]> = {};
  for (const [url, entry] of Object.entries(d.servers)) {
    if (!/^https?:\/\//.test(url)) continue; // only server URLs are keys (so no `__proto__`)
    if (typeof entry?.public_key !== 'string' || typeof entry.key_id !== 'string' || typeof entry.pinned_at !== 'string') return bad();
    servers[url] = { public_key: entry.public_key, key_id: entry.key_id, pinned_at: entry.pinned_at };
  }
  return { version: 1, servers };
}

// Written whole to a temp file and renamed over: a crash never leaves half a file.
function writeKnownServers(home: string, file: string, known: KnownServers): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
