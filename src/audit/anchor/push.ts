import '../../bundle-layout.js'; // see src/bundle-layout.ts
import { hostname } from 'node:os';
import { ApprovalClient } from '../../approval/client.js';
import { ApprovalError } from '../../approval/errors.js';
import { pinServerKey, type PinnedKey } from '../../approval/pin.js';
import type { CheckpointPayload, LogHeadWire, SignedCheckpoint } from '../../approval/protocol.js';
import { serviceSettings } from '../../approval/request.js';
import type { UserConfig } from '../../config/resolve.js';
import { gateVersion } from '../../config/version.js';
import { CheckpointError, verifyCheckpoint } from './checkpoint.js';
import { readAnchorState, writeAnchorState } from './due.js';

export interface PushInput {
  readonly home: string;
  readonly config: UserConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly head: LogHeadWire;
  /** The whole push (key, head) must end by then. */
  readonly deadlineMs: number;
  /** A service that is not there (refused, unknown host) fails after this long instead (default: deadlineMs). */
  readonly firstContactMs?: number;
  /** Told when the service's key is pinned on first use. */
  readonly notice?: (line: string) => void;
}

export interface Pushed {
  readonly server: string;
  readonly pinned: PinnedKey;
  readonly checkpoint: SignedCheckpoint;
  readonly payload: CheckpointPayload;
  /** What the service's conflict flag means, when it set one. */
  readonly conflictMessage?: string;
}

/**
 * Sends the head to the configured approval service, verifies the checkpoint it answers against
 * the pinned key (and that it is for this very head), and remembers it in anchor.json. Throws an
 * ApprovalError on any failure; nothing is remembered then.
 */
export async function pushHead(input: PushInput): Promise<Pushed> {
  const { home, config, env, head, deadlineMs } = input;
  const settings = serviceSettings(env, config, 'anchoring the audit log needs the approval service');
  const client = new ApprovalClient({ baseUrl: settings.serverUrl, token: settings.token, userAgent: `gate/${gateVersion()}`, retryBudgetMs: deadlineMs });
  const signal = AbortSignal.timeout(deadlineMs);
  const call = { signal, deadline: client.now() + deadlineMs };
  try {
    const first = { signal, deadline: client.now() + Math.min(deadlineMs, input.firstContactMs ?? deadlineMs) };
    const pinned = pinServerKey(settings.serverUrl, await client.key(first), settings.serverKey, home, new Date(client.now()));
    if (pinned.source === 'first-use') input.notice?.(`trusting the approval service's key ${pinned.keyId} for ${settings.serverUrl} from now on (first use)`);
    const checkpoint = await client.anchorHead({ ...head, host: hostname() }, call);
    const payload = checked(checkpoint, pinned, head, settings.serverUrl);
    // A success ends the failure backoff; an earlier warning stays remembered for its interval.
    const { warned_at: warnedAt } = readAnchorState(home);
    writeAnchorState(home, {
      anchored: { log_id: head.log_id, seq: head.seq, hash: head.hash, at: new Date(client.now()).toISOString(), server: settings.serverUrl, received_at: payload.received_at },
      ...(warnedAt !== undefined ? { warned_at: warnedAt } : {}),
    });
    return {
      server: settings.serverUrl,
      pinned,
      checkpoint,
      payload,
      ...(payload.conflict !== undefined ? { conflictMessage: conflictMessage(payload) } : {}),
    };
  } catch (error) {
    if (signal.aborted && !(error instanceof ApprovalError)) {
      throw new ApprovalError('timeout', `the approval service at ${settings.serverUrl} did not confirm the audit log head within ${deadlineMs} ms`, { cause: error });
    }
    throw error;
  } finally {
    await client.close();
  }
}

function checked(checkpoint: SignedCheckpoint, pinned: PinnedKey, head: LogHeadWire, server: string): CheckpointPayload {
  let payload: CheckpointPayload;
  try {
    payload = verifyCheckpoint(checkpoint, pinned.key);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    throw new ApprovalError('malformed', `the approval service at ${server} answered with a checkpoint that cannot be trusted: ${error.message}`, {
      hint: 'someone may be impersonating the service; check its key with its admin',
    });
  }
  if (payload.log_id !== head.log_id || payload.seq !== head.seq || payload.hash !== head.hash) {
    throw new ApprovalError('malformed', `the approval service at ${server} answered with a checkpoint of another head (record ${payload.seq} of log ${payload.log_id})`);
  }
  return payload;
}

function conflictMessage(p: CheckpointPayload): string {
  const c = p.conflict!;
  return c.kind === 'forked'
    ? `the approval service holds a different record ${p.seq} of this audit log (anchored at ${c.received_at}): this log was rewritten`
    : `the approval service had anchored record ${c.seq} of this audit log (at ${c.received_at}), but its head is now record ${p.seq}: this log was cut or rolled back`;
}
