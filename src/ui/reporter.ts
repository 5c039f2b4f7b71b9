import { mountInkView } from './ink-view.js';
import { jsonReporter, plainReporter } from './lines.js';
import type { WaitControls, WaitReporter } from './updates.js';

export type ReporterMode = 'tty' | 'plain' | 'json';

/**
 * --json wins; a terminal that can draw (known width, not TERM=dumb) gets the live view; anything
 * else (pipes, files, CI logs) gets plain lines.
 */
export function reporterMode(json: boolean, stderr: NodeJS.WriteStream, env: NodeJS.ProcessEnv): ReporterMode {
  if (json) return 'json';
  return stderr.isTTY === true && (stderr.columns ?? 0) > 0 && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

/** Opens the view for a wait; ink and react are loaded (by mountInkView) only for the terminal view. */
export async function openReporter(mode: ReporterMode, controls: WaitControls): Promise<WaitReporter> {
  const write = (text: string): void => void process.stderr.write(text);
  switch (mode) {
    case 'json':
      return jsonReporter(write);
    case 'plain':
      return plainReporter(write);
    case 'tty':
      return mountInkView({ stderr: process.stderr, stdin: process.stdin, controls });
  }
}
