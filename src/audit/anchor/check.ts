import '../../bundle-layout.js'; // see src/bundle-layout.ts
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { ApprovalClient } from '../../approval/client.js';
import { ApprovalError } from '../../approval/errors.js';
import { knownServersFile, readKnownServers, serverIdentity } from '../../approval/pin.js';
import type { CheckpointPayload, SignedCheckpoint } from '../../approval/protocol.js';
import { keyId, publicKeyFromBase64, spkiBase64 } from '../../approval/receipt.js';
import { serviceSettings } from '../../approval/request.js';
import type { UserConfig } from '../../config/resolve.js';
import { gateVersion } from '../../config/version.js';
import { loadOrCreateSigningKey } from '../../crypto/signing-key.js';
import { CheckpointError, verifyCheckpoint } from './checkpoint.js';
import { compareWithService, type OtherLog } from './compare.js';
import { hostKeyPath } from '../command-trail.js';
import { parsePublicKey } from '../log/keys.js';
import type { Finding, ProblemCode, VerifyReport, WarningCode } from '../log/verify.js';

export interface ServerCheckInput {
  readonly report: VerifyReport;
  readonly logId: string;
  readonly home: string;
  readonly config: UserConfig;
  readonly env: NodeJS.ProcessEnv;
}

export interface ServerCheck {
  readonly problems: Finding<ProblemCode>[];
  readonly warnings: Finding<WarningCode>[];
  /** Checkpoints of this log that verified and were compared. */
  readonly checked: number;
}

/** The whole check (key, checkpoints, host logs) must end by then; a service that is not there fails sooner. */
const DEADLINE_MS = 20_000;
const FIRST_CONTACT_MS = 3_000;

/**
 * `gate audit verify --server`: fetches the service's checkpoints of this log and the other logs
 * it anchored for the same host, verifies every checkpoint with the service key trusted here
 * (configured or pinned, never the one the service presents), and compares (anchor-compare.ts).
 * Not configured throws (a usage error); anything that keeps the check from being done is a
 * problem, so the verification fails rather than passes unchecked.
 */
export async function serverFindings(input: ServerCheckInput): Promise<ServerCheck> {
  const { home, config, env, logId } = input;
  const settings = serviceSettings(env, config, 'gate audit verify --server compares the log with the checkpoints the approval service signed');
  const client = new ApprovalClient({ baseUrl: settings.serverUrl, token: settings.token, userAgent: `gate/${gateVersion()}`, retryBudgetMs: DEADLINE_MS });
  const call = { deadline: client.now() + DEADLINE_MS };
  const problems: Finding<ProblemCode>[] = [];
  const verified = (checkpoint: SignedCheckpoint, key: KeyObject): CheckpointPayload | undefined => {
    try {
      return verifyCheckpoint(checkpoint, key);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      problems.push({ code: 'bad_checkpoint', line: 0, message: `the approval service sent a checkpoint that does not verify: ${error.message}` });
      return undefined;
    }
  };
  try {
    const presented = await client.key({ deadline: client.now() + FIRST_CONTACT_MS });
    const key = trustedKey(settings.serverUrl, home, config, presented.public_key);
    if (typeof key === 'string') return { problems: [{ code: 'untrusted_service_key', line: 0, message: key }], warnings: [], checked: 0 };

    const checkpoints: CheckpointPayload[] = [];
    for (let after: number | undefined; ; ) {
      const page = await client.checkpoints(logId, after, call);
      for (const c of page.checkpoints) {
        const payload = verified(c, key);
        if (payload !== undefined && payload.log_id === logId) checkpoints.push(payload);
      }
      if (page.next === undefined || (after !== undefined && page.next <= after)) break;
      after = page.next;
    }
    const hosts = new Set(checkpoints.map((c) => c.host));
    if (isThisHostsLog(home, logId)) hosts.add(hostname());
    const otherLogs: OtherLog[] = [];
    for (const host of hosts) {
      for (const log of (await client.hostLogs(host, call)).logs) {
        if (log.log_id === logId) continue;
        const latest = verified(log.latest, key);
        if (latest !== undefined) otherLogs.push({ log_id: log.log_id, host, first_received_at: log.first_received_at, checkpoints: log.checkpoints, latest });
      }
    }
    const compared = compareWithService(input.report, { checkpoints, otherLogs });
    return { problems: [...problems, ...compared.problems], warnings: compared.warnings, checked: checkpoints.length };
  } catch (error) {
    if (!(error instanceof ApprovalError)) throw error;
    return {
      problems: [{ code: 'server_unavailable', line: 0, message: `the log could not be checked against the approval service: ${error.message}` }],
      warnings: [],
      checked: 0,
    };
  } finally {
    await client.close();
  }
}

/** The configured serverKey, else the key pinned here for this service; a message when there is none or the service presents another. */
function trustedKey(serverUrl: string, home: string, config: UserConfig, presented: string): KeyObject | string {
  let key: KeyObject | undefined;
  try {
    if (config.serverKey !== undefined) key = parsePublicKey(config.serverKey, 'serverKey');
    else {
      const pinned = readKnownServers(knownServersFile(home)).servers[serverIdentity(serverUrl)];
      if (pinned !== undefined) key = publicKeyFromBase64(pinned.public_key);
    }
  } catch (error) {
    return `the service key trusted here cannot be read: ${(error as Error).message}`;
  }
  let presentedId = '?';
  try {
    presentedId = keyId(publicKeyFromBase64(presented));
  } catch {
    // Reported as not the trusted key below.
  }
  if (key === undefined) {
    return `no key is pinned here for the approval service at ${serverUrl}, so its checkpoints cannot be trusted (it presents key ${presentedId}: check it with its admin, then \`gate config set serverKey <base64 key>\`)`;
  }
  if (spkiBase64(key) !== presented) {
    return `the approval service at ${serverUrl} presents key ${presentedId}, but key ${keyId(key)} is trusted for it here: its checkpoints cannot be trusted (someone may be impersonating it, or its key was replaced)`;
  }
  return key;
}

/** Whether the log is this host's own (its audit key), so this host's name also finds its other logs. */
function isThisHostsLog(home: string, logId: string): boolean {
  const path = hostKeyPath(home);
  if (!existsSync(path)) return false;
  try {
    return loadOrCreateSigningKey(path, 'the audit host key').keyId === logId;
  } catch {
    return false;
  }
}
