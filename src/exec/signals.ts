import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Shell convention: a child killed by signal N exits 128+N. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Keyboard and hang-up signals (Ctrl-C, Ctrl-\, terminal closed) go to the whole foreground
 * process group, so the child already has them; forwarding would deliver them twice. We are in
 * that group when our process group is the terminal's foreground group (Linux: /proc/self/stat).
 */
export function deliveredByTerminal(signal: ForwardedSignal): boolean {
  if (signal === 'SIGTERM') return false;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state ppid pgrp session tty_nr tpgid
    const pgrp = Number(fields[2]);
    const ttyNr = Number(fields[4]);
    const tpgid = Number(fields[5]);
    return ttyNr !== 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}
