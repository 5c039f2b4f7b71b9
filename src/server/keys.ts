import type { ServerKey } from '../approval/protocol.js';
import { loadOrCreateSigningKey, type SigningKey } from '../crypto/signing-key.js';

export interface ServerKeyPair extends SigningKey {
  readonly wire: ServerKey;
}

/** The server's Ed25519 key (see signing-key.ts); clients pin it, so it signs receipts and checkpoints. */
export function loadOrCreateServerKey(path: string): ServerKeyPair {
  const key = loadOrCreateSigningKey(path, 'the server key');
  return { ...key, wire: { algorithm: 'ed25519', public_key: key.spki, key_id: key.keyId } };
}
