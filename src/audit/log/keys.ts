import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { knownServersFile, readKnownServers } from '../../approval/pin.js';
import { spkiBase64 } from '../../approval/receipt.js';
import type { UserConfig } from '../../config/resolve.js';
import { GateError } from '../../errors.js';

/**
 * A public key given on the command line: a PEM file (public, or private: its public half), a
 * PEM text, or base64 SPKI DER (what `gate audit key --base64` and the approval service print).
 */
export function parsePublicKey(text: string, what: string): KeyObject {
  let material = text.trim();
  if (!material.startsWith('-----') && existsSync(material)) {
    try {
      material = readFileSync(material, 'utf8').trim();
    } catch (error) {
      throw new GateError('USAGE', `${what} ${text}: ${(error as Error).message}`);
    }
  }
  let key: KeyObject;
  try {
    key = material.startsWith('-----')
      ? createPublicKey(material)
      : createPublicKey({ key: Buffer.from(material, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new GateError('USAGE', `${what} ${text}: not an Ed25519 public key (expected a PEM file, PEM text or base64 SPKI)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new GateError('USAGE', `${what} ${text}: a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/**
 * Approval service keys trusted to have signed receipts: given with --server-key, configured as
 * serverKey, or pinned in known-servers.json on this host.
 */
export function trustedServerKeys(given: readonly string[], home: string, config: UserConfig): Set<string> {
  const keys = new Set(given.map((text) => spkiBase64(parsePublicKey(text, '--server-key'))));
  if (config.serverKey !== undefined) keys.add(spkiBase64(parsePublicKey(config.serverKey, 'serverKey')));
  try {
    for (const entry of Object.values(readKnownServers(knownServersFile(home)).servers)) keys.add(entry.public_key);
  } catch {
    // An unreadable pin file only means fewer trusted keys; receipts then report as untrusted.
  }
  return keys;
}
