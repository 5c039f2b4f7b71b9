import '../../bundle-layout.js'; // see src/bundle-layout.ts
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { UserConfig } from '../../config/resolve.js';
import type { LogHead } from '../log/record.js';
import type { LogHeadWire } from '../../approval/protocol.js';

/**
 * Periodic anchoring: the commands that talk to the approval service carry the log head along;
 * the others (policy denials, audited allowed commands, commands that did not run) would leave it
 * unanchored, so after such a record the head is pushed now and then (POST /v1/audit/heads). What
 * was anchored last is remembered in `$GATE_HOME/audit/anchor.json`; only when a push is due is
 * the HTTP client loaded (anchor-push.ts).
 */

export const anchorStateFile = (home: string): string => join(home, 'audit', 'anchor.json');

/** Anchor at least this often while records are written... */
export const ANCHOR_INTERVAL_MS = 5 * 60_000;
/** ...or once the head is this many records past the last anchor. */
export const ANCHOR_MAX_BEHIND = 100;
/** The whole push (key + head) must fit in this: it runs on the command path. */
export const ANCHOR_DEADLINE_MS = 1_500;
/** After a failed push, wait this long before trying again (a down server must not slow every command). */
export const ANCHOR_RETRY_MS = 60_000;

export interface AnchorState {
  /** The last head the service confirmed with a checkpoint that verified. */
  readonly anchored?: {
    readonly log_id: string;
    readonly seq: number;
    readonly hash: string;
    /** When this host anchored it (its own clock). */
    readonly at: string;
    readonly server: string;
    /** The service's time in the checkpoint. */
    readonly received_at: string;
  };
  readonly failed_at?: string;
  /** The last warning printed about a failed push (at most one per interval). */
  readonly warned_at?: string;
}

const ms = (iso: string | undefined): number => (iso === undefined ? NaN : Date.parse(iso));

/** Whether the head should be pushed now. Pure. */
export function anchorDue(state: AnchorState, logId: string, head: LogHead, nowMs: number): boolean {
  const failed = ms(state.failed_at);
  if (nowMs >= failed && nowMs - failed < ANCHOR_RETRY_MS) return false;
  const last = state.anchored;
  if (last === undefined || last.log_id !== logId) return true;
  if (last.seq === head.seq && last.hash === head.hash) return false;
  // The log went back: the service must hear of it (it flags the head).
  if (head.seq < last.seq) return true;
  // Also when the clock jumped back: a stalled anchor would be worse than one early.
  return Math.abs(nowMs - ms(last.at)) >= ANCHOR_INTERVAL_MS || !Number.isFinite(ms(last.at)) || head.seq - last.seq > ANCHOR_MAX_BEHIND;
}

/** The saved state; a missing or unreadable file is an empty state (it only saves pushes). */
export function readAnchorState(home: string): AnchorState {
  try {
    const data = JSON.parse(readFileSync(anchorStateFile(home), 'utf8')) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
    const d = data as Record<string, unknown>;
    const a = d.anchored as Record<string, unknown> | undefined;
    const anchored =
      typeof a === 'object' && a !== null && typeof a.log_id === 'string' && Number.isSafeInteger(a.seq) && typeof a.hash === 'string' && typeof a.at === 'string' && typeof a.server === 'string' && typeof a.received_at === 'string'
        ? { log_id: a.log_id, seq: a.seq as number, hash: a.hash, at: a.at, server: a.server, received_at: a.received_at }
        : undefined;
    return {
      ...(anchored !== undefined ? { anchored } : {}),
      ...(typeof d.failed_at === 'string' ? { failed_at: d.failed_at } : {}),
      ...(typeof d.warned_at === 'string' ? { warned_at: d.warned_at } : {}),
    };
  } catch {
    return {};
  }
}

/** Written whole to a temp file and renamed over: concurrent gate processes never see half a file. */
export function writeAnchorState(home: string, state: AnchorState): void {
  const file = anchorStateFile(home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: 1, ...state })}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * Pushes the head to the approval service if a service is configured and an anchor is due, within
 * ANCHOR_DEADLINE_MS. Never throws and never fails the command: a failure is at most one warning
 * per interval. Call it after a record was written on a path that did not send the head along.
 */
export async function anchorIfDue(
  home: string,
  config: UserConfig,
  env: NodeJS.ProcessEnv,
  head: LogHeadWire,
  warn: (line: string) => void = (line) => process.stderr.write(`gate: ${line}\n`),
): Promise<void> {
  try {
    if (!(env.GATE_SERVER || config.serverUrl) || !(env.GATE_TOKEN || config.token)) return;
    const state = readAnchorState(home);
    const now = Date.now();
    if (!anchorDue(state, head.log_id, head, now)) return;
    const { pushHead } = await import('./push.js');
    try {
      const pushed = await pushHead({ home, config, env, head, deadlineMs: ANCHOR_DEADLINE_MS });
      if (pushed.payload.conflict !== undefined) warn(`warning: ${pushed.conflictMessage}`);
    } catch (error) {
      const due = Math.abs(now - ms(state.warned_at)) >= ANCHOR_INTERVAL_MS || !Number.isFinite(ms(state.warned_at));
      if (due) warn(`warning: could not anchor the audit log at the approval service (the command is not affected): ${error instanceof Error ? error.message : String(error)}`);
      writeAnchorState(home, { ...readAnchorState(home), failed_at: new Date(now).toISOString(), ...(due ? { warned_at: new Date(now).toISOString() } : {}) });
    }
  } catch {
    // Anchoring is best effort on the command path: an unwritable state file must not fail a command.
  }
}
