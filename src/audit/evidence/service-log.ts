import '../../bundle-layout.js'; // see src/bundle-layout.ts
import type { KeyObject } from 'node:crypto';
import { ApprovalClient } from '../../approval/client.js';
import { ApprovalError } from '../../approval/errors.js';
import { knownServersFile, readKnownServers, serverIdentity } from '../../approval/pin.js';
import { keyId, publicKeyFromBase64, spkiBase64 } from '../../approval/receipt.js';
import { serviceSettings } from '../../approval/request.js';
import type { UserConfig } from '../../config/resolve.js';
import { gateVersion } from '../../config/version.js';
import { GateError } from '../../errors.js';
import { parsePublicKey } from '../log/keys.js';
import { splitLines } from '../log/line.js';

/** Lines asked for per page: a page of large request snapshots stays well under the client's 4 MiB reply cap. */
export const PAGE_LINES = 200;

export interface ServiceLog {
  readonly url: string;
  readonly bytes: Buffer;
  /** The key the log is verified with: given, configured, or pinned on this host. */
  readonly key: KeyObject;
}

/**
 * Downloads the approval service's own audit log (GET /v1/audit/log, page by page, until a page
 * comes back empty) and picks the key to verify it with. The key is never taken from the service
 * itself: --server-key, the configured serverKey, or the key this host pinned for the service.
 */
export async function fetchServiceLog(home: string, env: NodeJS.ProcessEnv, config: UserConfig, givenKey: string | undefined): Promise<ServiceLog> {
  const settings = serviceSettings(env, config, 'gate audit export --server reads the approval service\'s log');
  const client = new ApprovalClient({ baseUrl: settings.serverUrl, token: settings.token, userAgent: `gate/${gateVersion()}` });
  try {
    const presented = await client.key();
    const key = trustedKey(settings.serverUrl, home, config, givenKey, presented.public_key);
    const pages: Buffer[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await client.auditLog(after, PAGE_LINES);
      const { lines, partial } = splitLines(page);
      if (partial !== undefined) throw new ApprovalError('malformed', `the approval service sent a log page that ends mid-line (after seq ${after ?? 'start'})`);
      if (lines.length === 0) break;
      const last = lastSeq(lines[lines.length - 1]!);
      if (after !== undefined && last <= after) throw new ApprovalError('malformed', `the approval service sent records up to seq ${last} when asked for those after ${after}`);
      pages.push(page);
      after = last;
    }
    return { url: settings.serverUrl, bytes: Buffer.concat(pages), key };
  } finally {
    await client.close();
  }
}

function trustedKey(serverUrl: string, home: string, config: UserConfig, givenKey: string | undefined, presented: string): KeyObject {
  let key: KeyObject | undefined;
  if (givenKey !== undefined) key = parsePublicKey(givenKey, '--server-key');
  else if (config.serverKey !== undefined) key = parsePublicKey(config.serverKey, 'serverKey');
  else {
    const pinned = readKnownServers(knownServersFile(home)).servers[serverIdentity(serverUrl)];
    if (pinned !== undefined) key = publicKeyFromBase64(pinned.public_key);
  }
  let presentedId = '?';
  try {
    presentedId = keyId(publicKeyFromBase64(presented));
  } catch {
    // An unreadable key is reported as not the trusted one below.
  }
  if (key === undefined) {
    throw new GateError('USAGE', `no key is pinned on this host for the approval service at ${serverUrl}: its log cannot be verified`, {
      hint: `the service presents key ${presentedId}; check that with its admin (gate serve prints it), then pass --server-key <base64 or PEM>, or run an approval through it first`,
    });
  }
  if (spkiBase64(key) !== presented) {
    throw new GateError('USAGE', `the approval service at ${serverUrl} presents key ${presentedId}, but key ${keyId(key)} is trusted for it here; refusing to export its log as verified evidence`, {
      hint: 'someone may be impersonating the service, or its key was rotated: check with its admin, then pass --server-key',
    });
  }
  return key;
}

/** The seq of a log line, read without trusting the rest of it (verification comes later). */
function lastSeq(line: Buffer): number {
  const tab = line.indexOf(0x09);
  let seq: unknown;
  try {
    seq = (JSON.parse(line.subarray(0, tab === -1 ? line.length : tab).toString('utf8')) as { seq?: unknown }).seq;
  } catch {
    seq = undefined;
  }
  if (!Number.isSafeInteger(seq)) throw new ApprovalError('malformed', 'the approval service sent a log line that is not a gate audit record');
  return seq as number;
}
