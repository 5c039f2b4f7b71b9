/**
 * Decodes the body of a bash `$'...'` string exactly as bash 5.2 does, or returns `null` when the
 * result is not certain (control escapes `\c`, `\x{...}`, non-ASCII bytes, NUL): such words become
 * unknown rather than guessed. unbash's own decoding differs from bash for `\x{41}` and for a
 * backslash-newline, so gate does not rely on it.
 */
const SIMPLE: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  '\\': '\\', "'": "'", '"': '"', '?': '?',
};

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** `text` is the whole part as written, `$'...'`. */
export function decodeAnsiC(text: string): string | null {
  if (!text.startsWith("$'") || !text.endsWith("'") || text.length < 3) return null;
  const body = text.slice(2, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return out + '\\';
    if (Object.hasOwn(SIMPLE, next)) {
      out += SIMPLE[next];
      i++;
      continue;
    }
    let code: number | undefined;
    if (isOctal(next)) {
      let j = i + 1;
      let digits = '';
      while (j < body.length && digits.length < 3 && isOctal(body[j])) digits += body[j++];
      code = Number.parseInt(digits, 8);
      i = j - 1;
    } else if (next === 'x') {
      if (body[i + 2] === '{') return null;
      let j = i + 2;
      let digits = '';
      while (j < body.length && digits.length < 2 && isHex(body[j])) digits += body[j++];
      if (digits === '') {
        out += '\\x';
        i++;
        continue;
      }
      code = Number.parseInt(digits, 16);
      i = j - 1;
    } else if (next === 'u' || next === 'U') {
      const max = next === 'u' ? 4 : 8;
      let j = i + 2;
      let digits = '';
      while (j < body.length && digits.length < max && isHex(body[j])) digits += body[j++];
      if (digits === '') {
        out += `\\${next}`;
        i++;
        continue;
      }
      code = Number.parseInt(digits, 16);
      i = j - 1;
    } else if (next === 'c') {
      return null;
    } else {
      // Unknown escapes keep their backslash, as do backslash-newline pairs.
      out += `\\${next}`;
      i++;
      continue;
    }
    // NUL truncates the string and bytes above ASCII depend on the locale: not certain.
    if (code === 0 || code > 0x7f) return null;
    out += String.fromCharCode(code);
  }
  return out;
}
