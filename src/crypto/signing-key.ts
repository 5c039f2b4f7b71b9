import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { keyId, spkiBase64 } from '../approval/receipt.js';
import { GateError } from '../errors.js';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** First 16 hex of sha256(SPKI DER). */
  readonly keyId: string;
  /** base64 SPKI DER. */
  readonly spki: string;
}

/**
 * An Ed25519 signing key kept in a file: created on first use (PKCS#8 PEM, mode 0600, in a 0700
 * directory), loaded afterwards. Its public key is pinned or published, so it must survive
 * restarts, and a key file others can read is refused rather than used: whoever read it can sign.
 * `label` names the key in messages ("the server key", "the audit host key").
 */
export function loadOrCreateSigningKey(path: string, label: string): SigningKey {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw keyError(label, path, error);
    pem = createKeyFile(path, label);
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new GateError('CONFIG_INVALID', `${label} ${path} is readable by others (mode ${mode.toString(8)})`, {
      hint: `restrict it with: chmod 600 ${path} (and consider rotating it: anyone who read it can sign)`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw keyError(label, path, error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new GateError('CONFIG_INVALID', `${label} ${path} is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyId(publicKey), spki: spkiBase64(publicKey) };
}

function createKeyFile(path: string, label: string): string {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // Written aside, then linked into place: a concurrent first use (several gate processes at once)
  // never reads a half-written key, and if another process linked its key first, keep theirs
  // rather than overwrite a key that may already sign records.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, pem, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temp, path);
      return pem;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8');
      // A filesystem without hard links: create in place (exclusive), as before.
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
      return pem;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8');
    throw keyError(label, path, error);
  } finally {
    rmSync(temp, { force: true });
  }
}

const keyError = (label: string, path: string, cause: unknown): GateError =>
  new GateError('CONFIG_INVALID', `cannot use ${label} ${path}: ${(cause as Error).message}`, { cause });
