import { Command, CommanderError } from 'commander';
import { gateVersion } from '../config/version.js';
import { GateError } from '../errors.js';
import { checkCommand } from './check.js';
import { configGet, configList, configSet, configUnset } from './config-cmd.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { testCommand, validateCommand } from './policy-cmd.js';
import { runCommand, type RunOptions } from './run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export interface ServeOptions {
  readonly listen: string;
  readonly db?: string;
  readonly policy: string[];
  readonly publicUrl?: string;
  readonly receiptTtl: string;
  /** Server config file (notifications); default $GATE_HOME/server/config.yaml when it exists. */
  readonly config?: string;
}

export interface TokenLinkOptions {
  readonly ttl: string;
  readonly publicUrl?: string;
  readonly db?: string;
}

export interface TokenCreateOptions {
  readonly name: string;
  readonly kind: string;
  readonly groups: string;
  readonly db?: string;
}

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
    .option('--reason <text>', 'why you run this; shown to approvers (required by some rules)')
    .option('--on-behalf-of <name>', 'the person an agent acts for (GATE_ON_BEHALF_OF)')
    .option('--environment <name>', 'deployment environment, e.g. prod (GATE_ENVIRONMENT)')
    .option('--context <key=value>', 'extra context for approvers; repeatable', collect, [])
    .option('--json', 'while waiting for approval, print one JSON event per line on stderr', false)
    .argument('[words...]')
    .version(gateVersion(), '-V, --version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n${EXAMPLES}`)
    .exitOverride()
    // Root options belong before a subcommand (`gate --policy F check`), a subcommand's own after it
    // (`gate check --json`); without this, the root would swallow `check --json` and `--policy`.
    .enablePositionalOptions()
    .configureOutput({ writeErr: (text) => process.stderr.write(`gate: ${text}`) })
    .action(async (words: string[], opts: RunOptions) => {
      if (words.length > 0) {
        throw new GateError('USAGE', `unknown command "${words[0]}"`, { hint: `to run a program, put it after --: gate -- ${words.join(' ')}` });
      }
      code = await runCommand(needCommand(command, 'gate -- ls -la'), opts);
    });

  program
    .command('check')
    .description('show the decision for a command and every rule that matched, without running it')
    .usage("[--policy FILE] [--json] (-- <command> [args...] | -c '<shell text>')")
    .option('--policy <file>', 'policy file or directory; repeatable', collect, [])
    .option('--json', 'print one JSON object: {decision, rules, signals, parts, matches, ...}', false)
    .option('-c, --shell <text>', 'analyze shell text (as `gate sh -c` would run it) instead of an argv after --')
    .exitOverride()
    .action(async (opts: { policy: string[]; json: boolean; shell?: string }) => {
      // `gate --policy F check` puts F on the root command; it applies to check as well.
      const policy = [...program.opts<{ policy: string[] }>().policy, ...opts.policy];
      if (opts.shell !== undefined && command !== undefined) throw new GateError('USAGE', 'give either -c TEXT or a command after --, not both');
      const argv = opts.shell === undefined ? needCommand(command, 'gate check -- rm -rf /tmp/x') : undefined;
      code = await checkCommand(argv, { ...opts, policy });
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

  // Approval service (issue 3). Each module is loaded only when its command runs.
  program
    .command('serve')
    .description('run the approval service (default 127.0.0.1:8787, SQLite under GATE_HOME)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8787')
    .option('--db <file>', 'SQLite database (default: $GATE_HOME/server/gate.db)')
    .option('--policy <file>', "the server's own policy; repeatable (default: as for gate -- cmd)", collect, [])
    .option('--public-url <url>', 'base URL approvers use to reach this server (default: http://<listen>)')
    .option('--receipt-ttl <duration>', 'how long an approval may wait to be used', '5m')
    .option('--config <file>', 'server config: Slack and other notifications (default: $GATE_HOME/server/config.yaml if present)')
    .exitOverride()
    .action(async (opts: ServeOptions) => {
      code = await (await import('./serve-cmd.js')).serveCommand(opts);
    });

  const token = program.command('token').description('manage API tokens of the approval service (run on the server host)').exitOverride();
  token
    .command('create')
    .description('create a token bound to a principal; prints the token once')
    .requiredOption('--name <name>', 'principal name (unique)')
    .requiredOption('--kind <kind>', 'human, agent or ci')
    .option('--groups <list>', 'comma-separated approver groups', '')
    .option('--db <file>', 'SQLite database (default: $GATE_HOME/server/gate.db)')
    .exitOverride()
    .action(async (opts: TokenCreateOptions) => {
      code = await (await import('./token-cmd.js')).tokenCreate(opts);
    });
  token
    .command('list')
    .option('--db <file>', 'SQLite database')
    .option('--json', 'print JSON', false)
    .exitOverride()
    .action(async (opts: { db?: string; json: boolean }) => {
      code = await (await import('./token-cmd.js')).tokenList(opts);
    });
  token
    .command('revoke')
    .argument('<name-or-id>')
    .option('--db <file>', 'SQLite database')
    .exitOverride()
    .action(async (nameOrId: string, opts: { db?: string }) => {
      code = await (await import('./token-cmd.js')).tokenRevoke(nameOrId, opts);
    });
  token
    .command('link')
    .description("print a one-time sign-in link to the web page for a human principal (single use; nobody else's token is needed)")
    .argument('<name>', 'the human principal who signs in')
    .option('--ttl <duration>', 'how long the link works if unused (at most 24h)', '10m')
    .option('--public-url <url>', "the server's public URL, as given to gate serve (default: GATE_SERVER, config serverUrl, else http://127.0.0.1:8787)")
    .option('--db <file>', 'SQLite database (default: $GATE_HOME/server/gate.db)')
    .exitOverride()
    .action(async (name: string, opts: TokenLinkOptions) => {
      code = await (await import('./token-cmd.js')).tokenLink(name, opts);
    });

  program
    .command('requests')
    .description('list approval requests you can decide (pending by default)')
    .option('--all', 'include decided requests', false)
    .option('--json', 'print JSON', false)
    .exitOverride()
    .action(async (opts: { all: boolean; json: boolean }) => {
      code = await (await import('./approver-cmd.js')).requestsCommand(opts);
    });
  program
    .command('approve')
    .description('approve a request (you cannot approve your own)')
    .argument('<id>')
    .option('--comment <text>', 'comment recorded with the approval')
    .exitOverride()
    .action(async (id: string, opts: { comment?: string }) => {
      code = await (await import('./approver-cmd.js')).approveCommand(id, opts);
    });
  program
    .command('deny')
    .description('deny a request; the reason reaches the requester verbatim')
    .argument('<id>')
    .requiredOption('--reason <text>', 'why (shown verbatim to the requester)')
    .exitOverride()
    .action(async (id: string, opts: { reason: string }) => {
      code = await (await import('./approver-cmd.js')).denyCommand(id, opts);
    });
  program
    .command('ask')
    .description('ask the requester a question; the request stays pending')
    .argument('<id>')
    .argument('<question>')
    .exitOverride()
    .action(async (id: string, question: string) => {
      code = await (await import('./approver-cmd.js')).askCommand(id, question);
    });

  program
    .command('reply')
    .description("answer an approver's question about your request")
    .argument('<id>')
    .argument('<answer>')
    .exitOverride()
    .action(async (id: string, answer: string) => {
      code = await (await import('./approver-cmd.js')).replyCommand(id, answer);
    });

  const audit = program.command('audit').description("this host's signed, hash-chained audit log: verify it, show it, export evidence").exitOverride();
  audit
    .command('verify')
    .description('check every signature, the hash chain, sequence continuity and approval receipts; exit 1 on any problem')
    .option('--log <file>', 'the log to check (default: GATE_AUDIT_LOG, config auditLog, $GATE_HOME/audit/audit.log)')
    .option('--key <key>', "public key of the host that wrote the log: PEM file or base64 SPKI (default: this host's key)")
    .option('--server-key <key>', 'an approval service key trusted for receipts (PEM file or base64); repeatable', collect, [])
    .option('--server', "also check the approval service's signed checkpoints of this log (detects a cut tail or a rewrite)", false)
    .option('--json', 'print one JSON report', false)
    .exitOverride()
    .action(async (opts: { log?: string; key?: string; serverKey: string[]; server: boolean; json: boolean }) => {
      code = await (await import('./audit-cmd.js')).auditVerify(opts);
    });
  audit
    .command('key')
    .description("print this host's audit public key (PEM; --base64 for SPKI) for auditors")
    .option('--base64', 'base64 SPKI DER instead of PEM', false)
    .exitOverride()
    .action(async (opts: { base64: boolean }) => {
      code = await (await import('./audit-cmd.js')).auditKey(opts);
    });
  audit
    .command('anchor')
    .description("send this host's audit log head to the approval service now and print the signed checkpoint it answers")
    .exitOverride()
    .action(async () => {
      code = await (await import('./audit-anchor-cmd.js')).auditAnchor();
    });
  // Evidence: the same filters for show and export.
  const evidenceOptions = (command: Command): Command =>
    command
      .option('--since <time>', 'from this time: RFC 3339 (2026-05-01T09:00:00Z) or how long ago (24h, 7d)')
      .option('--until <time>', 'before this time (same forms as --since)')
      .option('--rule <id>', 'commands a rule with this id decided')
      .option('--decision <decision>', 'allow, approve or deny')
      .option('--outcome <outcome>', 'ran, denied_by_policy, denied_by_approver, expired, cancelled, failed_closed (pending: service log)')
      .option('--principal <name>', 'commands this principal requested, was acted for in, approved or denied')
      .option('--limit <n>', 'only the N most recent matching commands')
      .option('--log <file>', 'the log to read (default: GATE_AUDIT_LOG, config auditLog, $GATE_HOME/audit/audit.log)')
      .option('--key <key>', "public key of the host that wrote the log: PEM file or base64 SPKI (default: this host's key)")
      .option('--server-key <key>', 'an approval service key (PEM file or base64): trusted for receipts; with export --server, the key its log is signed with', collect, []);
  evidenceOptions(audit.command('show'))
    .description('the recorded commands as a table: time, outcome, who, rules, approvers, command (warns if the log does not verify)')
    .option('--json', 'print the selected records, one JSON object per line', false)
    .exitOverride()
    .action(async (opts: import('./audit-evidence-cmd.js').ShowOptions) => {
      code = await (await import('./audit-evidence-cmd.js')).auditShow(opts);
    });
  evidenceOptions(
    audit
      .command('export')
      .description('write an evidence directory: events.jsonl or events.csv, the signed lines they span, keys, verification, a signed MANIFEST.json')
      .option('--format <format>', 'jsonl (full signed records) or csv (one row per command)')
      .option('--out <dir>', 'a new or empty directory (default: ./gate-audit-<log id>-<UTC time>)')
      .option('--server', "export the approval service's own log (requests and decisions) instead of this host's", false),
  )
    .exitOverride()
    .action(async (opts: import('./audit-evidence-cmd.js').ExportOptions) => {
      code = await (await import('./audit-evidence-cmd.js')).auditExport(opts);
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
