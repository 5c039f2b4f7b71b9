import { displayCommand, sanitize } from '../../display.js';
import { formatDuration } from '../../policy/duration.js';

/**
 * Text from a request as a person should see it on a page: control and bidi characters become
 * visible escapes (a right-to-left override must not disguise `rm -rf /`), using the same helpers
 * the terminal uses, so the web and the CLI show a command identically. HTML escaping is html.ts's job.
 */

export { sanitize as oneLine };

/** Multi-line text (shell text, reasons, comments): line breaks stay, every other control char is escaped. */
export const multiLine = (text: string): string => text.split('\n').map(sanitize).join('\n');

/** The command as one shell-quoted line. */
export const commandLine = (argv: readonly string[]): string => displayCommand(argv);

/** One argv word exactly: quoted only when it would otherwise be invisible (empty) or ambiguous. */
export const argvWord = (word: string): string => (word === '' ? "''" : sanitize(word));

/** "9m59s left" or "expired"; whole seconds, rounded down. */
export function timeLeft(untilMs: number, nowMs: number): string {
  const seconds = Math.floor((untilMs - nowMs) / 1000);
  return seconds <= 0 ? 'expired' : `${formatDuration(seconds)} left`;
}

/** "3m ago" (or "just now"). */
export function ago(atMs: number, nowMs: number): string {
  const seconds = Math.floor((nowMs - atMs) / 1000);
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`;
}

export { formatDuration };
