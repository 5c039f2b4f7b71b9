import { basename } from 'node:path';
import { EXIT } from './exit-codes.js';
import { reportError } from './output.js';
import { DEFAULT_RUN_OPTIONS, runCommand } from './run.js';

/**
 * Entry point. `gate -- <cmd>` with no options is the hot path: nothing to parse, so commander
 * and every subcommand stay unloaded. Everything else goes through the full CLI.
 */
async function main(args: readonly string[]): Promise<number> {
  // As an agent's SHELL (`gate-sh -c '...'`) or `gate sh -c '...'`: shell text, analyzed as bash.
  if (/^gate-sh(\.js)?$/.test(basename(process.argv[1] ?? ''))) return (await import('./sh-cmd.js')).shMain(args);
  if (args[0] === 'sh') return (await import('./sh-cmd.js')).shMain(args.slice(1));
  const split = args.indexOf('--');
  const head = split === -1 ? args : args.slice(0, split);
  const command = split === -1 ? undefined : args.slice(split + 1);
  if (head.length === 0 && command !== undefined && command.length > 0) return runCommand(command, DEFAULT_RUN_OPTIONS);
  const { runProgram } = await import('./program.js');
  return runProgram(head, command);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    reportError(error);
    process.exitCode = EXIT.GATE_FAILED;
  },
);
