import { createHash } from 'node:crypto';
import { canonicalBytes } from '../audit/canonical.js';
import type { CommandSpec } from './protocol.js';

/**
 * The digest an approval is bound to: exactly what will run (argv, cwd, host, resolved program,
 * shell text) and who asked. Server and client compute it independently from the same fields.
 */
export function commandDigest(command: CommandSpec, requester: string): string {
  const bound = {
    argv: [...command.argv],
    cwd: command.cwd,
    host: command.host,
    program_path: command.program_path,
    requester,
    ...(command.shell_text !== undefined ? { shell_text: command.shell_text } : {}),
  };
  return `sha256:${createHash('sha256').update(canonicalBytes(bound)).digest('hex')}`;
}
