/** Showing untrusted text (commands, reasons, names) safely: in a terminal, a chat message or a page. */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Makes any text safe to show in a terminal: control and bidi characters become visible escapes. */
export function sanitize(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command as a shell would need it typed: words quoted where needed, control characters escaped. */
export function displayCommand(argv: readonly string[]): string {
  return argv
    .map((word) => {
      if (SAFE_WORD.test(word)) return word;
      if (sanitize(word) !== word) return `$'${sanitize(word.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
      return `'${word.replace(/'/g, `'\\''`)}'`;
    })
    .join(' ');
}
