import '../bundle-layout.js'; // see src/bundle-layout.ts
import { existsSync } from 'node:fs';
import { pushHead } from '../audit/anchor/push.js';
import { auditLogPath, hostKeyPath, openHostLog } from '../audit/command-trail.js';
import { gateHome } from '../config/paths.js';
import { readUserConfig } from '../config/resolve.js';
import { GateError } from '../errors.js';
import { VERIFY_FAILED } from './audit-cmd.js';
import { say } from './output.js';
import { sanitize } from '../display.js';

/** How long `gate audit anchor` waits for the service (a person is waiting, not a command)... */
const DEADLINE_MS = 15_000;
/** ...but a service that is not there fails fast. */
const FIRST_CONTACT_MS = 3_000;

/**
 * `gate audit anchor`: pushes this host's audit log head to the approval service now and prints
 * the signed checkpoint it answers (JSON on stdout). Exit 0 anchored; 1 anchored, but the service
 * flagged the head (the log was cut or rewritten); 125 when it could not be anchored.
 */
export async function auditAnchor(): Promise<number> {
  const home = gateHome();
  const config = readUserConfig(home);
  const path = auditLogPath(home, process.env, config);
  const empty = (): never => {
    throw new GateError('USAGE', `the audit log ${path} has no record yet: there is no head to anchor`, {
      hint: 'gate records commands as they are denied, approved or audited; anchor once one is on the record',
    });
  };
  if (!existsSync(hostKeyPath(home)) || !existsSync(path)) return empty();
  const log = openHostLog(home, process.env, config);
  const head = log.head() ?? empty();
  const pushed = await pushHead({ home, config, env: process.env, head: log.signedHead(head), deadlineMs: DEADLINE_MS, firstContactMs: FIRST_CONTACT_MS, notice: say });
  process.stdout.write(`${JSON.stringify(pushed.checkpoint)}\n`);
  say(`anchored record ${head.seq} of log ${log.logId} at ${sanitize(pushed.server)}: checkpoint signed by key ${pushed.pinned.keyId}, received at ${pushed.payload.received_at}`);
  if (pushed.conflictMessage !== undefined) {
    say(`PROBLEM: ${pushed.conflictMessage}`);
    return VERIFY_FAILED;
  }
  return 0;
}
