import { displayCommand, sanitize } from '../../../display.js';
import type { CommandSpec } from '../../../approval/protocol.js';

/**
 * Slack mrkdwn from untrusted text. Slack reads `&`, `<` and `>` as control characters (links,
 * @channel mentions, dates), so they are always escaped; control and bidi characters become
 * visible escapes, as in the terminal, so a command cannot hide what it does.
 */
export function mrkdwn(text: string): string {
  return sanitize(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Like mrkdwn(), on one line: a value cannot start a new line that looks like another field. */
export const inline = (text: string): string => mrkdwn(text.replace(/\s+/g, ' ').trim());

/** At most `max` UTF-16 units, never splitting a surrogate pair, with `…` when shortened. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1]!)) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** The command as approvers must read it: the exact shell text for `gate sh -c`, else the quoted argv. */
export const commandText = (command: CommandSpec): string => command.shell_text ?? displayCommand(command.argv);

export interface CodeBlock {
  /** ```…``` ready for a section's text, at most `max` characters. */
  readonly text: string;
  /** Characters of the command shown, and in total (before escaping). */
  readonly shown: number;
  readonly total: number;
}

/**
 * A command as a mrkdwn code block of at most `max` characters. Escaping happens before the cut,
 * and the cut never lands inside an entity (`&amp;`) or a surrogate pair. A run of three
 * backticks would close the block early, so a zero-width space separates them.
 */
export function codeBlock(command: string, max: number): CodeBlock {
  const fence = '```';
  // One spare character for the zero-width space that may follow a trailing backtick.
  const budget = max - 2 * fence.length - 1;
  // Line breaks stay (a script's lines matter); every other control character is made visible.
  const chars = [...command.split('\n').map(sanitize).join('\n')];
  let out = '';
  let shown = 0;
  for (const ch of chars) {
    const piece = ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '`' && out.endsWith('``') ? '\u200b`' : ch;
    if (out.length + piece.length > budget) break;
    out += piece;
    shown += 1;
  }
  // A block cannot end in a backtick either: it would merge with the closing fence.
  if (out.endsWith('`')) out += '\u200b';
  return { text: `${fence}${out}${fence}`, shown, total: chars.length };
}

/** `<!date^…>`: Slack shows the instant in each reader's time zone; the fallback is UTC. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return mrkdwn(iso);
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** A link in mrkdwn; `|` and `>` cannot appear in its parts. */
export function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${mrkdwn(label).replace(/\|/g, '¦')}>`;
}
