import { joinArgs, lit, scriptFromArg, signalAction, type Action, type Arg } from './layer.js';
import type { Stdin } from './walk.js';

/**
 * Commands that run elsewhere: `ssh host CMD...` (the words are joined and run by the remote
 * user's shell, so they are parsed as a POSIX script), `docker|podman exec CTR CMD...` and
 * `kubectl|oc exec POD -- CMD...` (an argv). They are matched like local commands: a rule for
 * `rm -rf` holds on the other side too.
 */
const SSH_VALUE = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''));
const SSH_NO_COMMAND = new Set(['N', 'W']);

export function sshActions(args: readonly Arg[], stdin: Stdin): Action[] {
  const actions: Action[] = [];
  let noShell = false;
  let subsystem = false;
  let host: Arg | undefined;
  let i = 1;
  // OpenSSH parses options again after the host (`ssh host -p 22 cmd`, `ssh host -- cmd`).
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) {
      actions.push(signalAction('remote-command-dynamic', arg.at.span, 'ssh gets a word that is not known statically; it could be an option, the host or the command'));
      return actions;
    }
    if (text === '--') {
      i++;
      if (host === undefined) {
        host = args[i];
        i++;
      }
      break;
    }
    if (!text.startsWith('-') || text === '-') {
      if (host !== undefined) break;
      host = arg;
      continue;
    }
    for (let k = 1; k < text.length; k++) {
      const c = text[k]!;
      if (c === 'F') actions.push(signalAction('program-option-exec', arg.at.span, 'ssh -F reads a configuration file gate does not see; it may run commands (ProxyCommand, LocalCommand)'));
      if (SSH_NO_COMMAND.has(c)) noShell = true;
      if (c === 's') subsystem = true;
      if (SSH_VALUE.has(c)) {
        const rest = text.slice(k + 1);
        const value = rest !== '' ? ({ word: { kind: 'literal', value: rest }, at: arg.at } as Arg) : args[++i];
        if (value !== undefined && c === 'o') actions.push(...sshOption(value));
        break;
      }
    }
  }
  if (host === undefined) return actions;
  const words = args.slice(i);
  const label = `ssh ${lit(host) ?? '<host>'}`;
  if (words.length === 0) {
    if (!noShell && !subsystem) actions.push(signalAction('remote-shell-stdin', host.at.span, `${label} opens a remote shell that reads commands from standard input or the terminal`));
    return actions;
  }
  if (subsystem) return actions;
  const joined = joinArgs(words);
  if (joined === null) {
    const unknown = words.find((w) => w.word.kind !== 'literal')!;
    actions.push(signalAction('remote-command-dynamic', unknown.at.span, `${label} runs a remote command that is not known statically`));
    return actions;
  }
  actions.push({ kind: 'text', text: joined.text, at: joined.at, via: label, dialect: 'posix', stdin: stdin.kind === 'inherited' ? stdin : { kind: 'unknown' } });
  return actions;
}

/** `-o ProxyCommand=...` / `LocalCommand` / `KnownHostsCommand` run a local shell command. */
function sshOption(value: Arg): Action[] {
  const text = lit(value);
  if (text === undefined) return [signalAction('program-option-exec', value.at.span, 'ssh -o gets an option that is not known statically')];
  const m = /^\s*(proxycommand|localcommand|knownhostscommand|remotecommand|permitlocalcommand|match)\s*[=\s]\s*([\s\S]*)$/i.exec(text);
  if (m === null) return [];
  const key = m[1]!.toLowerCase();
  if (key === 'permitlocalcommand' || key === 'match') return [signalAction('program-option-exec', value.at.span, `ssh -o ${m[1]} may run a local command`)];
  const command = m[2]!;
  const offset = text.length - command.length;
  const at = { span: value.at.span, inner: (s: number, e: number) => value.at.inner(s + offset, e + offset) };
  return [{ kind: 'text', text: command, at, via: `ssh -o ${m[1]}`, dialect: 'posix' }];
}

const DOCKER_GLOBAL_VALUE = new Set(['--context', '-c', '-H', '--host', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey', '--url', '--connection', '--identity', '--root', '--runroot', '--storage-driver', '--cgroup-manager', '--namespace', '-n', '--address', '-a']);
const DOCKER_EXEC_VALUE = new Set(['-e', '--env', '--env-file', '-u', '--user', '-w', '--workdir', '--detach-keys', '--preserve-fds']);

/** `docker [global] exec [options] CONTAINER CMD...` (also podman, nerdctl). */
export function containerExecActions(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  let i = 1;
  for (; i < args.length; i++) {
    const text = lit(args[i]);
    if (text === undefined || !text.startsWith('-')) break;
    if (DOCKER_GLOBAL_VALUE.has(text)) i++;
  }
  const sub = lit(args[i]);
  let j = i + 1;
  if (sub === 'container' && lit(args[j]) === 'exec') j++;
  else if (sub !== 'exec') return [];
  const actions: Action[] = [];
  let latest = false;
  for (; j < args.length; j++) {
    const arg = args[j]!;
    const text = lit(arg);
    if (text === undefined) {
      actions.push(signalAction('wrapper-dynamic-arg', arg.at.span, `${program} exec gets a word that is not known statically; gate cannot tell the container from the command`));
      return actions;
    }
    if (text === '--') {
      j++;
      break;
    }
    if (!text.startsWith('-')) break;
    if (text === '-l' || text === '--latest') latest = true;
    if (DOCKER_EXEC_VALUE.has(text)) j++;
    else if (!text.startsWith('--') && text.length > 2 && /[euw]$/.test(text)) j++;
  }
  const command = args.slice(latest ? j : j + 1);
  if (command.length === 0) return actions;
  actions.push({ kind: 'argv', args: command, via: `${program} exec ${latest ? '--latest' : lit(args[j]) ?? '<container>'}`, stdin: stdin.kind === 'inherited' ? stdin : { kind: 'unknown' } });
  return actions;
}

/** `kubectl|oc [global] exec|debug|run ... -- CMD...`; an exec without `--` cannot be read. */
export function kubeExecActions(program: string, args: readonly Arg[], stdin: Stdin, subcommand: string | undefined): Action[] {
  if (subcommand !== 'exec' && subcommand !== 'debug' && subcommand !== 'run' && subcommand !== 'rsh') return [];
  const dash = args.findIndex((a) => lit(a) === '--');
  if (dash === -1) {
    if (subcommand !== 'exec') return [];
    const last = args[args.length - 1]!;
    return [signalAction('exec-unparsed', last.at.span, `${program} exec without \`--\`: gate cannot tell the command from kubectl's own options`)];
  }
  const command = args.slice(dash + 1);
  if (command.length === 0) return [];
  return [{ kind: 'argv', args: command, via: `${program} ${subcommand}`, stdin: stdin.kind === 'inherited' ? stdin : { kind: 'unknown' } }];
}

/** Programs with options that run a command: `rsync -e`, `scp -S`, `tar --to-command`, ... */
type ExecKind = 'local' | 'remote' | 'ssh-option' | 'ssh-config' | 'checkpoint';

const EXEC_OPTIONS: Readonly<Record<string, Readonly<Record<string, ExecKind>>>> = {
  rsync: { '-e': 'local', '--rsh': 'local', '--rsync-path': 'remote' },
  scp: { '-S': 'local', '-o': 'ssh-option', '-F': 'ssh-config' },
  sftp: { '-S': 'local', '-D': 'local', '-o': 'ssh-option', '-F': 'ssh-config' },
  man: { '-P': 'local', '--pager': 'local', '-H': 'local', '--html': 'local' },
  tar: {
    '--to-command': 'local', '--use-compress-program': 'local', '-I': 'local', '--info-script': 'local', '-F': 'local',
    '--new-volume-script': 'local', '--rsh-command': 'local', '--checkpoint-action': 'checkpoint',
  },
  zip: { '-TT': 'local', '--unzip-command': 'local' },
  tcpdump: { '-z': 'local' },
  npx: { '-c': 'local', '--call': 'local' },
};

export function hasExecOptions(program: string): boolean {
  return Object.hasOwn(EXEC_OPTIONS, program);
}

export function execOptionActions(program: string, args: readonly Arg[]): Action[] {
  const actions: Action[] = [];
  const spec = Object.hasOwn(EXEC_OPTIONS, program) ? EXEC_OPTIONS[program]! : {};
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) continue;
    if (text === '--') break;
    for (const [option, kind] of Object.entries(spec)) {
      let value: Arg | undefined;
      if (text === option) value = args[++i];
      else if (option.startsWith('--') && text.startsWith(`${option}=`)) value = attachedArg(arg, text.slice(option.length + 1));
      else if (!option.startsWith('--') && !text.startsWith('--') && text.startsWith(option) && text.length > option.length) value = attachedArg(arg, text.slice(option.length));
      if (value === undefined) continue;
      const label = `${program} ${option}`;
      if (kind === 'ssh-option') actions.push(...sshOption(value));
      else if (kind === 'ssh-config') actions.push(signalAction('program-option-exec', value.at.span, `${label} reads an ssh configuration gate does not see; it may run commands (ProxyCommand)`));
      else if (kind === 'checkpoint') {
        const v = lit(value);
        if (v === undefined) actions.push(signalAction('program-option-exec', value.at.span, `${label} is not known statically`));
        else if (v.startsWith('exec=')) actions.push({ kind: 'text', text: v.slice(5), at: value.at, via: label, dialect: 'posix' });
      } else {
        actions.push(scriptFromArg(value, kind === 'remote' ? `${label} (remote)` : label, 'posix', 'program-option-exec', `${label} runs a command that is not known statically`));
      }
      break;
    }
  }
  return actions;
}

function attachedArg(arg: Arg, value: string): Arg {
  return { word: { kind: 'literal', value }, at: arg.at };
}

/**
 * Terminal multiplexers run shell strings (`tmux new -d 'cmd'`, `screen -dm cmd`) and can type
 * into a running shell (`tmux send-keys`, `screen -X stuff`), which gate cannot follow.
 */
const TMUX_RUNS = new Set(['new-session', 'new', 'new-window', 'neww', 'split-window', 'splitw', 'respawn-pane', 'respawnp', 'respawn-window', 'respawnw', 'run-shell', 'run', 'if-shell', 'if', 'pipe-pane', 'pipep', 'display-popup', 'popup']);
const TMUX_TYPES = new Set(['send-keys', 'send', 'paste-buffer', 'pasteb', 'load-buffer', 'loadb', 'source-file', 'source']);
/** Options that take a value in every subcommand that runs a command (flags like -d differ). */
const TMUX_VALUE = new Set(['-t', '-s', '-n', '-c', '-x', '-y', '-e', '-F', '-l', '-p', '-L', '-S', '-f', '-T']);

export function multiplexerActions(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  if (program === 'screen') return screenActions(args, stdin);
  let i = 1;
  for (; i < args.length; i++) {
    const t = lit(args[i]);
    if (t === undefined || !t.startsWith('-')) break;
    if (t === '-L' || t === '-S' || t === '-f' || t === '-c') {
      if (t === '-c') return [scriptFromArgOrSignal(args[i + 1], 'tmux -c', args[i]!)];
      i++;
    }
  }
  const sub = lit(args[i]);
  if (sub === undefined) return i < args.length ? [signalAction('program-option-exec', args[i]!.at.span, 'tmux gets a command that is not known statically')] : [];
  if (TMUX_TYPES.has(sub)) return [signalAction('program-option-exec', args[i]!.at.span, `tmux ${sub} types or loads input into a running shell; gate cannot follow it`)];
  if (!TMUX_RUNS.has(sub)) return [];
  const words: Arg[] = [];
  for (let j = i + 1; j < args.length; j++) {
    const t = lit(args[j]);
    if (t === ';' || t === '\\;') break;
    if (t !== undefined && t.startsWith('-') && words.length === 0) {
      if (TMUX_VALUE.has(t.slice(0, 2)) && t.length === 2) j++;
      continue;
    }
    words.push(args[j]!);
  }
  if (words.length === 0) return [];
  const joined = joinArgs(words);
  if (joined === null) return [signalAction('shell-c-dynamic', words[0]!.at.span, `tmux ${sub} runs a command that is not known statically`)];
  // One word is an `sh -c` string; several are a command, or an option value and a string: read all ways.
  const actions: Action[] = [{ kind: 'text', text: joined.text, at: joined.at, via: `tmux ${sub}`, dialect: 'posix' }];
  if (words.length > 1) for (const word of words) actions.push(scriptFromArg(word, `tmux ${sub}`, 'posix', 'shell-c-dynamic'));
  return actions;
}

const SCREEN_VALUE = new Set(['-c', '-e', '-h', '-p', '-S', '-t', '-T', '-s', '-Logfile']);

function screenActions(args: readonly Arg[], stdin: Stdin): Action[] {
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const t = lit(arg);
    if (t === undefined) return [signalAction('wrapper-dynamic-arg', arg.at.span, 'screen gets a word that is not known statically')];
    if (t === '-X' || t === '-x' || t === '-r' || t === '-R' || t === '-D' || t === '-list' || t === '-ls' || t === '-wipe') {
      return t === '-X' ? [signalAction('program-option-exec', arg.at.span, 'screen -X sends a command to a running session; gate cannot follow it')] : [];
    }
    if (!t.startsWith('-')) return [{ kind: 'argv', args: args.slice(i), via: 'screen', stdin }];
    // `-S name`, and clusters ending in a value option (`-dmS name`).
    if (SCREEN_VALUE.has(t) || (t.length > 2 && !t.startsWith('--') && SCREEN_VALUE.has(`-${t[t.length - 1]}`) && t !== '-Logfile')) i++;
    if (t.includes('X') && !t.startsWith('--') && /^-[a-zA-Z]*X/.test(t)) return [signalAction('program-option-exec', arg.at.span, 'screen -X sends a command to a running session; gate cannot follow it')];
  }
  return [];
}

function scriptFromArgOrSignal(value: Arg | undefined, via: string, near: Arg): Action {
  return value === undefined ? signalAction('shell-c-dynamic', near.at.span, `${via} has no command`) : scriptFromArg(value, via, 'posix', 'shell-c-dynamic');
}
