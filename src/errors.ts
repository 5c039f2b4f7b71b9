/**
 * The error roots of gate. Every failure that reaches the CLI is a GateError with a literal code,
 * a message that names the file/field/value, and a hint that says what to do next. Anything else
 * that escapes is a bug, and the command path treats it as "do not run" (exit 125).
 */

export type GateErrorCode =
  | 'USAGE'
  | 'POLICY_INVALID'
  | 'POLICY_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'APPROVAL_UNAVAILABLE'
  | 'EXEC_NOT_FOUND'
  | 'EXEC_NOT_EXECUTABLE'
  | 'EXEC_FAILED';

export class GateError extends Error {
  override readonly name: string = 'GateError';
  readonly code: GateErrorCode;
  readonly hint: string | undefined;

  constructor(code: GateErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** One problem in a policy file, located precisely enough for an editor to jump to it. */
export interface PolicyIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The field, as a dotted path such as `rules[3].subcommand[0]`; empty for the whole file. */
  readonly field: string;
  readonly message: string;
}

/** Every problem found in a policy set, reported together rather than one at a time. */
export class PolicyError extends GateError {
  override readonly name = 'PolicyError';
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[], hint = 'fix the policy and check it with `gate policy validate`') {
    super('POLICY_INVALID', formatIssues(issues), { hint });
    this.issues = issues;
  }
}

export function formatIssue(issue: PolicyIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

function formatIssues(issues: readonly PolicyIssue[]): string {
  const head = issues.length === 1 ? 'invalid policy' : `invalid policy (${issues.length} problems)`;
  return [head, ...issues.map((issue) => `  ${formatIssue(issue)}`)].join('\n');
}
