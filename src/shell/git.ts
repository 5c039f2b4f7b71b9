import { joinArgs, lit, scriptFromArg, signalAction, type Action, type Arg } from './layer.js';

/**
 * git runs commands from its configuration (aliases starting with `!`, pager, editor, ssh
 * command, fsmonitor, hooks, filters, credential helpers...) and from some options (`rebase
 * --exec`, `submodule foreach`, `bisect run`, `--upload-pack`). Configuration given on the command
 * line must use a key known to be harmless; commands given as options are analyzed.
 */

/** Keys that never run a program; everything else given with `-c` fails closed. */
const SAFE_KEYS = [
  /^user\.(name|email|signingkey)$/, /^color\..*/, /^advice\..*/, /^core\.(quotepath|autocrlf|safecrlf|filemode|ignorecase|longpaths|eol|preloadindex|untrackedcache|abbrev|commentchar|whitespace|compression|bigfilethreshold|precomposeunicode|symlinks)$/,
  /^init\.defaultbranch$/, /^(commit|tag)\.gpgsign$/, /^safe\.directory$/, /^pull\.(rebase|ff)$/, /^merge\.(ff|conflictstyle|log|renamelimit)$/,
  /^log\.[a-z]+$/, /^diff\.(renames|noprefix|mnemonicprefix|algorithm|colormoved|context|interhunkcontext|relative|statgraphwidth|submodule|ignoresubmodules|renamelimit)$/,
  /^format\.(pretty|signoff)$/, /^column\.[a-z]+$/, /^status\.[a-z]+$/, /^gc\.(auto|autodetach)$/, /^fetch\.(prune|prunetags|parallel|recursesubmodules)$/,
  /^push\.(default|autosetupremote|followtags)$/, /^protocol\.version$/, /^maintenance\.auto$/, /^rebase\.(autostash|autosquash|updaterefs)$/,
  /^rerere\.(enabled|autoupdate)$/, /^feature\.[a-z]+$/, /^versionsort\.suffix$/, /^http\.(sslverify|postbuffer|version)$/, /^pack\.[a-z]+$/,
  /^checkout\.[a-z]+$/, /^branch\.autosetup(merge|rebase)$/, /^grep\.[a-z]+$/, /^i18n\.[a-z]+$/, /^blame\.[a-z]+$/, /^clone\.defaultremotename$/,
];

export function isSafeGitKey(key: string): boolean {
  const k = key.toLowerCase();
  return SAFE_KEYS.some((re) => re.test(k));
}

const GLOBAL_VALUE = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--list-cmds', '--attr-source']);

export function gitActions(args: readonly Arg[]): Action[] {
  const actions: Action[] = [];
  const checkKey = (arg: Arg, text: string | undefined, what: string): void => {
    if (text === undefined) {
      actions.push(signalAction('git-config-exec', arg.at.span, `git gets ${what} that is not known statically`));
      return;
    }
    const key = text.split('=')[0]!;
    if (!isSafeGitKey(key)) actions.push(signalAction('git-config-exec', arg.at.span, `git ${what} ${key} may run commands (aliases, pager, ssh command, hooks, filters...)`));
  };
  let i = 1;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) {
      actions.push(signalAction('git-config-exec', arg.at.span, 'git gets an option or subcommand that is not known statically'));
      return actions;
    }
    if (!text.startsWith('-')) break;
    if (text === '-c') {
      const value = args[++i];
      if (value !== undefined) checkKey(value, lit(value), 'configuration');
      continue;
    }
    if (text.startsWith('-c')) {
      checkKey(arg, text.slice(2), 'configuration');
      continue;
    }
    if (text.startsWith('--config-env')) {
      const value = text.includes('=') ? text.slice(text.indexOf('=') + 1) : lit(args[++i]);
      checkKey(arg, value, 'configuration from the environment');
      continue;
    }
    if (text.startsWith('--exec-path=')) {
      actions.push(signalAction('git-config-exec', arg.at.span, 'git --exec-path runs git subcommands from another directory'));
      continue;
    }
    if (GLOBAL_VALUE.has(text)) i++;
  }
  const sub = lit(args[i]);
  const rest = args.slice(i + 1);
  switch (sub) {
    case 'config':
      actions.push(...gitConfigWrite(rest));
      break;
    case 'clone':
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote':
    case 'archive':
    case 'submodule':
      for (let j = 0; j < rest.length; j++) {
        const t = lit(rest[j]);
        if (t === undefined) continue;
        if ((t === '-c' || t === '--config') && sub === 'clone') {
          const value = rest[++j];
          if (value !== undefined) checkKey(value, lit(value), 'configuration');
        } else if (t.startsWith('--config=')) {
          checkKey(rest[j]!, t.slice('--config='.length), 'configuration');
        } else if (/^--(upload-pack|receive-pack|exec)=/.test(t)) {
          actions.push(signalAction('program-option-exec', rest[j]!.at.span, `git ${sub} ${t.split('=')[0]} runs a program`));
        } else if (/^--(upload-pack|receive-pack|exec)$/.test(t) || (t === '-u' && (sub === 'clone' || sub === 'fetch' || sub === 'ls-remote'))) {
          actions.push(signalAction('program-option-exec', rest[j]!.at.span, `git ${sub} ${t} runs a program`));
          j++;
        }
      }
      if (sub === 'submodule') actions.push(...submoduleForeach(rest));
      break;
    case 'rebase':
      for (let j = 0; j < rest.length; j++) {
        const t = lit(rest[j]);
        if (t === '-x' || t === '--exec') {
          const value = rest[++j];
          if (value !== undefined) actions.push(scriptFromArg(value, 'git rebase --exec', 'posix', 'program-option-exec'));
        } else if (t?.startsWith('--exec=')) {
          actions.push(scriptFromArg({ word: { kind: 'literal', value: t.slice(7) }, at: rest[j]!.at }, 'git rebase --exec', 'posix', 'program-option-exec'));
        }
      }
      break;
    case 'bisect':
      if (lit(rest[0]) === 'run' && rest.length > 1) actions.push({ kind: 'argv', args: rest.slice(1), via: 'git bisect run' });
      break;
    case 'filter-branch':
      for (let j = 0; j < rest.length; j++) {
        const t = lit(rest[j]);
        if (t !== undefined && /^--[a-z-]*filter$/.test(t)) {
          const value = rest[++j];
          if (value !== undefined) actions.push(scriptFromArg(value, `git filter-branch ${t}`, 'posix', 'program-option-exec'));
        }
      }
      break;
    case 'difftool':
    case 'mergetool':
      for (let j = 0; j < rest.length; j++) {
        const t = lit(rest[j]);
        if (t === '-x' || t === '--extcmd') {
          const value = rest[++j];
          if (value !== undefined) actions.push(scriptFromArg(value, `git ${sub} --extcmd`, 'posix', 'program-option-exec'));
        } else if (t?.startsWith('--extcmd=')) {
          actions.push(signalAction('program-option-exec', rest[j]!.at.span, `git ${sub} --extcmd runs a command`));
        }
      }
      break;
    default:
      break;
  }
  return actions;
}

/** `git config KEY VALUE` (and `git config set KEY VALUE`) writing a key that may run commands. */
function gitConfigWrite(rest: readonly Arg[]): Action[] {
  const positionals: Arg[] = [];
  let reading = false;
  for (let j = 0; j < rest.length; j++) {
    const arg = rest[j]!;
    const t = lit(arg);
    if (t === undefined) {
      positionals.push(arg);
      continue;
    }
    if (['--get', '--get-all', '--get-regexp', '-l', '--list', '--unset', '--unset-all', '--remove-section', '--rename-section', '-e', '--edit', '--show-origin', '--show-scope', '--name-only', '--get-urlmatch', '--get-color', '--get-colorbool'].includes(t)) reading = true;
    if (['--file', '-f', '--blob', '--type', '--default', '--comment', '--value'].includes(t)) {
      j++;
      continue;
    }
    if (!t.startsWith('-')) positionals.push(arg);
  }
  if (reading) return [];
  const verbs = ['get', 'list', 'unset', 'rename-section', 'remove-section', 'edit'];
  let args = positionals;
  if (args.length > 0 && lit(args[0]) !== undefined && verbs.includes(lit(args[0])!)) return [];
  if (args.length > 0 && lit(args[0]) === 'set') args = args.slice(1);
  if (args.length < 2) return [];
  const key = args[0]!;
  const text = lit(key);
  if (text === undefined || !isSafeGitKey(text)) {
    return [signalAction('git-config-exec', key.at.span, `git config writes ${text ?? 'a key not known statically'}, which may run commands later`)];
  }
  return [];
}

/** `git submodule [--quiet] foreach [--recursive] CMD...`: the command runs in `sh`. */
function submoduleForeach(rest: readonly Arg[]): Action[] {
  const at = rest.findIndex((a) => lit(a) === 'foreach');
  if (at === -1) return [];
  let j = at + 1;
  while (j < rest.length && lit(rest[j])?.startsWith('-')) j++;
  const words = rest.slice(j);
  if (words.length === 0) return [];
  const joined = joinArgs(words);
  if (joined === null) return [signalAction('program-option-exec', words[0]!.at.span, 'git submodule foreach runs a command that is not known statically')];
  return [{ kind: 'text', text: joined.text, at: joined.at, via: 'git submodule foreach', dialect: 'posix' }];
}
