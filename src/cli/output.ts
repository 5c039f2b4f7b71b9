import { GateError, PolicyError } from '../errors.js';
import { sanitize } from '../display.js';

/** Diagnostics go to stderr, always prefixed, so they never mix with the command's own stdout. */
export function say(line: string): void {
  process.stderr.write(`gate: ${line}\n`);
}

/** Prints any failure; returns true if it was one of ours (a GateError), false for a bug. */
export function reportError(error: unknown): boolean {
  if (error instanceof PolicyError) {
    for (const line of error.message.split('\n')) say(line);
    if (error.hint) say(`hint: ${error.hint}`);
    return true;
  }
  if (error instanceof GateError) {
    say(sanitize(error.message));
    if (error.hint) say(`hint: ${error.hint}`);
    return true;
  }
  say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  say('the command was not run; please report this with the output above');
  return false;
}
