/**
 * Every program name the unwrapping step (peel.ts) treats specially: shells, builtins that run
 * text, wrappers, programs that run commands from their arguments, interpreters. Any other
 * program is only ever matched by its own argv, so `gate -- true` can skip the analyzer (and
 * its tables) entirely. peel.ts consults this list first, so a handler missing from it simply
 * never runs: the list and the handlers cannot disagree silently (test/shell checks both ways).
 */
const NAMES = new Set([
  // shells
  'bash', 'rbash', 'sh', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'oksh', 'loksh', 'lksh', 'yash', 'posh', 'hush',
  'zsh', 'fish', 'csh', 'tcsh', 'nu', 'elvish', 'xonsh', 'rc', 'es',
  // builtins that run text, run files, rename commands or assign by name
  'eval', 'source', '.', 'trap', 'alias', 'let', 'hash', 'enable', 'read', 'mapfile', 'readarray', 'printf', 'getopts',
  'declare', 'typeset', 'local', 'export', 'readonly', 'unset', 'cd', 'pushd', 'popd', 'wait',
  // wrappers (wrappers.ts)
  'sudo', 'doas', 'pkexec', 'run0', 'runuser', 'nice', 'ionice', 'chrt', 'taskset', 'timeout', 'nohup', 'setsid', 'stdbuf',
  'time', 'command', 'builtin', 'exec', 'noglob', 'env', 'flock', 'chroot', 'unshare', 'nsenter', 'firejail',
  'systemd-run', 'strace', 'ltrace', 'valgrind', 'catchsegv', 'eatmydata', 'nocache', 'unbuffer', 'dbus-run-session',
  'tini', 'dumb-init', 'proxychains', 'proxychains4', 'torsocks', 'tsocks', 'xvfb-run', 'caffeinate', 'gosu', 'su-exec',
  'sshpass', 'fakeroot', 'faketime', 'cgexec', 'setpriv', 'prlimit', 'numactl', 'watch', 'script', 'sg', 'xargs',
  'parallel', 'busybox', 'toybox',
  // programs that run commands named in their arguments, or elsewhere
  'su', 'find', 'ssh', 'scp', 'sftp', 'rsync', 'tar', 'zip', 'tcpdump', 'npx', 'npm', 'pnpm', 'yarn', 'docker', 'podman',
  'nerdctl', 'kubectl', 'oc', 'git', 'awk', 'gawk', 'mawk', 'nawk', 'busybox-awk', 'sed', 'gsed', 'psql', 'pgcli', 'mysql',
  'mariadb', 'sqlite3', 'mongosh', 'mongo', 'deno', 'at', 'batch', 'tmux', 'screen', 'man',
]);

/** Interpreters (interpreters.ts), with version suffixes: python3.12, perl5.36, node20. */
const INTERPRETERS =
  /^((python|pypy|pythonw|node|nodejs|perl|ruby|jruby|truffleruby|lua|luajit|tclsh|wish|jimsh)[0-9.]*|php[0-9.]*(-cli)?|Rscript|R|osascript|(pwsh|powershell|pwsh-preview)(\.exe)?|expect|julia|gdb|vim|nvim|vi|view|vimdiff|gvim|ex|rvim|emacs[0-9.-]*|ipython[0-9]*|irb|jshell|bpython|ghci|scala|clj|racket|guile|sbcl|node-repl|bun)$/;

export function isSpecialProgram(name: string): boolean {
  return NAMES.has(name) || INTERPRETERS.test(name);
}

export const SPECIAL_NAMES: ReadonlySet<string> = NAMES;
