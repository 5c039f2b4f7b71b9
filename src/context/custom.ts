import { ApprovalError } from '../approval/errors.js';

/** Same limits as the server's: keys of letters, digits, `.`, `_`, `-`; bounded sizes. */
const KEY = /^[A-Za-z0-9._-]{1,100}$/;
const MAX_VALUE = 10_000;
const MAX_PAIRS = 100;

/**
 * `--context key=value` pairs as the object sent to approvers. Every bad pair is reported at
 * once; a key given twice is an error (which one would the approver see?).
 */
export function parseContextPairs(pairs: readonly string[]): Readonly<Record<string, string>> {
  const out = new Map<string, string>();
  const problems: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (eq === -1) problems.push(`"${pair}": expected key=value`);
    else if (!KEY.test(key)) problems.push(`"${key}": a key is 1-100 letters, digits, ".", "_" or "-"`);
    else if (value.length > MAX_VALUE) problems.push(`"${key}": the value is longer than ${MAX_VALUE} characters`);
    else if (out.has(key)) problems.push(`"${key}": given more than once`);
    else out.set(key, value);
  }
  if (pairs.length > MAX_PAIRS) problems.push(`at most ${MAX_PAIRS} --context pairs`);
  if (problems.length > 0) {
    throw new ApprovalError('bad_context', `invalid --context: ${problems.join('; ')}`, { hint: 'use --context key=value, e.g. --context ticket=OPS-123' });
  }
  return Object.fromEntries(out);
}
