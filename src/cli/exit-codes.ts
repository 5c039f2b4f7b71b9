/**
 * The one table of gate's exit codes. When the command ran, gate exits with the command's own
 * code (128+N if a signal killed it); these codes say why it did not run.
 */
export const EXIT = {
  /** The approval request expired before enough approvers decided. */
  EXPIRED: 124,
  /** gate could not decide or failed: bad policy or config, service unreachable, audit failure. */
  GATE_FAILED: 125,
  /** Denied by policy or by a human; or the program is not executable. */
  DENIED: 126,
  /** The program was not found. */
  NOT_FOUND: 127,
  /** The user cancelled while waiting for approval. */
  CANCELLED: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  <n>    the command ran: its own exit code (128+N if killed by signal N)
  124    approval expired before a decision
  125    gate itself failed or could not decide (bad policy or config, usage
         error, approval service unreachable, audit failure); nothing ran
  126    denied (by policy or by an approver), or the program is not executable
  127    command not found
  130    cancelled by the user while waiting for approval`;
