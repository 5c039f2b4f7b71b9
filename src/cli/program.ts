import { Command, CommanderError } from 'commander';
import { gateVersion } from '../config/version.js';
import { GateError } from '../errors.js';
import { checkCommand } from './check.js';
import { configGet, configList, configSet, configUnset } from './config-cmd.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { testCommand, validateCommand } from './policy-cmd.js';
import { runCommand } from './run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const EXAMPLES = `
Examples:
  gate -- kubectl delete namespace payments --context prod
  gate check -- git push --force origin main
  gate check --json -- rm -rf /
  gate policy validate policies/
  gate policy test

Policies come from --policy (repeatable), else GATE_POLICY (a ${process.platform === 'win32' ? ';' : ':'}-separated list),
else \`gate config set policy DIR\`, else the shipped policies/default.yaml.
All state lives under GATE_HOME (default ~/.config/gate).`;

function needCommand(command: readonly string[] | undefined, usage: string): readonly string[] {
  if (command === undefined || command.length === 0) {
    throw new GateError('USAGE', 'no command given', { hint: `put the command after --, e.g. ${usage}` });
  }
  return command;
}

/**
 * The full CLI. `command` is everything after the first `--`: commander never sees it, so a
 * program named `check` or an argument like `--help` reaches the command untouched.
 */
export async function runProgram(head: readonly string[], command: readonly string[] | undefined): Promise<number> {
  let code: number = EXIT.GATE_FAILED;
  const program = new Command('gate')
    .description('Runs a command if policy allows it, asks a human when policy says so, and never runs what policy denies.')
    .usage('[options] -- <command> [args...]')
    .option('--policy <file>', 'policy file or directory; repeatable', collect, [])
    .argument('[words...]')
    .version(gateVersion(), '-V, --version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n${EXAMPLES}`)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(`gate: ${text}`) })
    .action(async (words: string[], opts: { policy: string[] }) => {
      if (words.length > 0) {
        throw new GateError('USAGE', `unknown command "${words[0]}"`, { hint: `to run a program, put it after --: gate -- ${words.join(' ')}` });
      }
      code = await runCommand(needCommand(command, 'gate -- ls -la'), opts);
    });

  program
    .command('check')
    .description('show the decision for a command and every rule that matched, without running it')
    .usage('[--policy FILE] [--json] -- <command> [args...]')
    .option('--policy <file>', 'policy file or directory; repeatable', collect, [])
    .option('--json', 'print one JSON object: {decision, rules, matches, ...}', false)
    .exitOverride()
    .action(async (opts: { policy: string[]; json: boolean }) => {
      // commander parses --policy into the root command wherever it appears (`gate check --policy F`
      // included), so the root's value must be merged in, or check would silently use the default.
      const policy = [...program.opts<{ policy: string[] }>().policy, ...opts.policy];
      code = await checkCommand(needCommand(command, 'gate check -- rm -rf /tmp/x'), { ...opts, policy });
    });

  const policy = program.command('policy').description('validate and test policy files').exitOverride();
  policy
    .command('validate')
    .description('check policy files: schema, patterns, duplicate ids and every rule example')
    .argument('[files...]', 'files or directories (default: the policies gate would use)')
    .exitOverride()
    .action(async (files: string[]) => {
      code = await validateCommand(files.length > 0 ? files : program.opts<{ policy: string[] }>().policy);
    });
  policy
    .command('test')
    .description('run the table-driven `tests:` cases in policy files')
    .argument('[files...]', 'files or directories (default: the policies gate would use)')
    .exitOverride()
    .action(async (files: string[]) => {
      code = await testCommand(files.length > 0 ? files : program.opts<{ policy: string[] }>().policy);
    });

  const config = program.command('config').description('read and change user settings (under GATE_HOME)').exitOverride();
  config.command('get').argument('<key>').exitOverride().action(async (key: string) => {
    code = await configGet(key);
  });
  config.command('set').argument('<key>').argument('<values...>').exitOverride().action(async (key: string, values: string[]) => {
    code = await configSet(key, values);
  });
  config.command('unset').argument('<key>').exitOverride().action(async (key: string) => {
    code = await configUnset(key);
  });
  config.command('list').exitOverride().action(async () => {
    code = await configList();
  });

  try {
    await program.parseAsync([...head], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : EXIT.GATE_FAILED;
    }
    throw error;
  }
  return code;
}
