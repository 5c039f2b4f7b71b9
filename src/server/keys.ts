import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServerKey } from '../approval/protocol.js';
import { keyId } from '../approval/receipt.js';
import { GateError } from '../errors.js';

export interface ServerKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
  readonly wire: ServerKey;
}

/**
 * The server's Ed25519 signing key: created on first start (PKCS#8 PEM, mode 0600, in a 0700
 * directory), loaded afterwards. Clients pin its public key, so it must survive restarts, and
 * a key file others can read is refused rather than used: whoever reads it can forge approvals.
 */
export function loadOrCreateServerKey(path: string): ServerKeyPair {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw keyError(path, error);
    pem = createKeyFile(path);
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new GateError('CONFIG_INVALID', `the server key ${path} is readable by others (mode ${mode.toString(8)})`, {
      hint: `restrict it with: chmod 600 ${path} (and consider rotating it: anyone who read it can sign receipts)`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw keyError(path, error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new GateError('CONFIG_INVALID', `the server key ${path} is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  const id = keyId(publicKey);
  const wire: ServerKey = { algorithm: 'ed25519', public_key: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), key_id: id };
  return { privateKey, publicKey, keyId: id, wire };
}

function createKeyFile(path: string): string {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    // 'wx': if another process created it first, keep theirs rather than overwrite a pinned key.
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8');
    throw keyError(path, error);
  }
}

const keyError = (path: string, cause: unknown): GateError =>
  new GateError('CONFIG_INVALID', `cannot use the server key ${path}: ${(cause as Error).message}`, { cause });
