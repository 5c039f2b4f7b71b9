/**
 * Programs that run another command, described as data: how each reads its options, so the
 * analyzer finds exactly where the inner command starts (`sudo -iu root -- rm`, `timeout -k 5 10
 * rm`, `nice -10 rm`). Every layer is matched: `sudo rm` is matched as `sudo rm` and as `rm`.
 *
 * A policy adds site-specific wrappers under `wrappers:` with the same shape (snake_case, as in
 * YAML). Options not listed are read both ways (a flag, or an option taking the next word), so a
 * table that is incomplete costs precision, never safety. Wrappers whose behaviour is more than
 * option syntax (env -S, su, xargs, find -exec, ssh, docker/kubectl exec, shells, eval) get code
 * in peel.ts on top of their entry here.
 */
export interface WrapperDoc {
  /** Program basename(s) this entry describes. */
  readonly name: string | readonly string[];
  /** Options that take a value: `-u USER`, `-uUSER`, `--user USER`, `--user=USER`. */
  readonly value_options?: readonly string[];
  /** Options that take no value. */
  readonly flag_options?: readonly string[];
  /** Options whose value can only be attached (`--default-signal=PIPE`, `-d5`). */
  readonly optional_value_options?: readonly string[];
  /** Options whose value is a shell command string, parsed as a script (`su -c`, `script -c`). */
  readonly command_options?: readonly string[];
  /** Options whose value is a NAME=VALUE environment assignment (`systemd-run -E`, `strace -E`). */
  readonly env_options?: readonly string[];
  /** Options after which the wrapper runs no command (`command -v`, `sudo -l`, `ionice -p`). */
  readonly no_exec_options?: readonly string[];
  /** Options that start an interactive shell when no command follows (`sudo -s`, `sudo -i`). */
  readonly shell_options?: readonly string[];
  /** Operands before the command (`timeout DURATION`, `chroot NEWROOT`, `taskset MASK`). */
  readonly operands?: number;
  /** NAME=VALUE words between the options and the command are environment assignments. */
  readonly assignments?: boolean;
  /** How the remaining words run: as a command (default), joined into an `sh -c` string, or not at all. */
  readonly runs?: 'argv' | 'shell-string' | 'none';
  /** Without a command the wrapper starts an interactive shell (`chroot DIR`, `unshare`). */
  readonly shell_without_command?: boolean;
  /** Options this table does not list: read both ways (default), or as flags (`--x=y` only). */
  readonly unknown_options?: 'ambiguous' | 'flag';
  /** GNU getopt_long accepts unambiguous prefixes (`--sig` = `--signal`). Default true. */
  readonly long_option_prefixes?: boolean;
  /** A dash and digits is a flag (`nice -10`). */
  readonly numeric_flags?: boolean;
}

export const BUILTIN_WRAPPERS: readonly WrapperDoc[] = [
  {
    name: 'sudo',
    value_options: ['-a', '--auth-type', '-C', '--close-from', '-c', '--login-class', '-D', '--chdir', '-g', '--group',
      '-p', '--prompt', '-R', '--chroot', '-r', '--role', '-T', '--command-timeout', '-t', '--type', '-U',
      '--other-user', '-u', '--user'],
    flag_options: ['-A', '--askpass', '-B', '--bell', '-b', '--background', '-E', '--preserve-env', '-H', '--set-home',
      '-n', '--non-interactive', '-P', '--preserve-groups', '-S', '--stdin', '-N', '--no-update', '--'],
    optional_value_options: ['-h', '--host', '--preserve-env'],
    no_exec_options: ['-l', '--list', '-v', '--validate', '-k', '--reset-timestamp', '-K', '--remove-timestamp', '-V',
      '--version', '-e', '--edit', '--help'],
    shell_options: ['-s', '--shell', '-i', '--login'],
    assignments: true,
  },
  {
    name: 'doas',
    value_options: ['-C', '-u'],
    flag_options: ['-L', '-n'],
    shell_options: ['-s'],
  },
  {
    name: 'pkexec',
    value_options: ['--user'],
    flag_options: ['--disable-internal-agent', '--keep-cwd'],
    no_exec_options: ['--version', '--help'],
    shell_without_command: true,
  },
  {
    name: 'run0',
    value_options: ['-u', '--user', '-g', '--group', '--nice', '-D', '--chdir', '--setenv', '-p', '--property',
      '--description', '--slice', '--slice-inherit', '--unit', '--machine', '--background', '--pty', '--area'],
    flag_options: ['--no-ask-password', '-i', '--via-shell', '--empower'],
    env_options: ['--setenv'],
    no_exec_options: ['-h', '--help', '--version'],
    shell_without_command: true,
  },
  {
    // `runuser -u USER cmd` runs cmd; the su-like forms are handled in peel.ts.
    name: 'runuser',
    value_options: ['-u', '--user', '-g', '--group', '-G', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'],
    flag_options: ['-l', '--login', '-m', '-p', '--preserve-environment', '-P', '--pty', '-f', '--fast'],
    command_options: ['-c', '--command', '--session-command'],
  },
  { name: 'nice', value_options: ['-n', '--adjustment'], numeric_flags: true },
  {
    name: 'ionice',
    value_options: ['-c', '--class', '-n', '--classdata'],
    flag_options: ['-t', '--ignore'],
    no_exec_options: ['-p', '--pid', '-P', '--pgid', '-u', '--uid', '-h', '--help', '-V', '--version'],
  },
  {
    name: 'chrt',
    value_options: ['-T', '--sched-runtime', '-P', '--sched-period', '-D', '--sched-deadline'],
    flag_options: ['-a', '--all-tasks', '-b', '--batch', '-d', '--deadline', '-f', '--fifo', '-i', '--idle', '-o',
      '--other', '-r', '--rr', '-R', '--reset-on-fork', '-v', '--verbose'],
    no_exec_options: ['-p', '--pid', '-m', '--max', '-h', '--help', '-V', '--version'],
    operands: 1,
  },
  {
    name: 'taskset',
    flag_options: ['-a', '--all-tasks', '-c', '--cpu-list'],
    no_exec_options: ['-p', '--pid', '-h', '--help', '-V', '--version'],
    operands: 1,
  },
  {
    name: 'timeout',
    value_options: ['-k', '--kill-after', '-s', '--signal'],
    flag_options: ['--preserve-status', '--foreground', '-v', '--verbose'],
    no_exec_options: ['--help', '--version'],
    operands: 1,
  },
  { name: 'nohup', no_exec_options: ['--help', '--version'] },
  { name: 'setsid', flag_options: ['-c', '--ctty', '-f', '--fork', '-w', '--wait'], no_exec_options: ['-h', '--help', '-V', '--version'] },
  { name: 'stdbuf', value_options: ['-i', '--input', '-o', '--output', '-e', '--error'], no_exec_options: ['--help', '--version'] },
  {
    // GNU time (the program; bash's `time` keyword is parsed as part of the pipeline).
    name: 'time',
    value_options: ['-f', '--format', '-o', '--output'],
    flag_options: ['-a', '--append', '-p', '--portability', '-v', '--verbose', '-q', '--quiet'],
    no_exec_options: ['--help', '-V', '--version'],
  },
  { name: 'command', flag_options: ['-p'], no_exec_options: ['-v', '-V'], long_option_prefixes: false },
  { name: 'builtin', long_option_prefixes: false },
  { name: 'exec', value_options: ['-a'], flag_options: ['-c', '-l'], long_option_prefixes: false },
  { name: 'noglob' },
  {
    name: 'env',
    value_options: ['-u', '--unset', '-C', '--chdir', '-a', '--argv0', '-P'],
    flag_options: ['-i', '--ignore-environment', '-0', '--null', '-v', '--debug', '-', '--list-signal-handling'],
    optional_value_options: ['--block-signal', '--default-signal', '--ignore-signal'],
    no_exec_options: ['--help', '--version'],
    assignments: true,
  },
  {
    name: 'flock',
    value_options: ['-w', '--timeout', '--wait', '-E', '--conflict-exit-code'],
    flag_options: ['-s', '--shared', '-x', '-e', '--exclusive', '-u', '--unlock', '-n', '--nb', '--nonblock', '-o',
      '--close', '-F', '--no-fork', '--verbose'],
    command_options: ['-c', '--command'],
    no_exec_options: ['-h', '--help', '-V', '--version'],
    operands: 1,
  },
  {
    name: 'chroot',
    value_options: ['--userspec', '--groups'],
    flag_options: ['--skip-chdir'],
    no_exec_options: ['--help', '--version'],
    operands: 1,
    shell_without_command: true,
  },
  {
    name: 'unshare',
    value_options: ['-S', '--setuid', '-G', '--setgid', '-R', '--root', '-w', '--wd', '--propagation', '--setgroups',
      '--map-user', '--map-group', '--map-users', '--map-groups', '-l', '--load-interp', '--monotonic', '--boottime'],
    flag_options: ['-f', '--fork', '-r', '--map-root-user', '-c', '--map-current-user', '--map-auto', '--mount-proc',
      '--kill-child', '-C', '-U', '-m', '-u', '-i', '-n', '-p', '-T', '--keep-caps'],
    optional_value_options: ['--mount', '--uts', '--ipc', '--net', '--pid', '--user', '--cgroup', '--time', '--kill-child', '--mount-proc'],
    no_exec_options: ['-h', '--help', '-V', '--version'],
    shell_without_command: true,
  },
  {
    name: 'nsenter',
    value_options: ['-t', '--target', '-S', '--setuid', '-G', '--setgid', '--env'],
    flag_options: ['-a', '--all', '--preserve-credentials', '-F', '--no-fork', '-Z', '--follow-context', '-c', '--join-cgroup'],
    optional_value_options: ['-m', '--mount', '-u', '--uts', '-i', '--ipc', '-n', '--net', '-p', '--pid', '-U', '--user',
      '-C', '--cgroup', '-T', '--time', '-r', '--root', '-w', '--wd'],
    no_exec_options: ['-h', '--help', '-V', '--version'],
    shell_without_command: true,
  },
  { name: 'firejail', unknown_options: 'flag', shell_without_command: true, no_exec_options: ['--help', '--version', '--list', '--tree', '--top'] },
  {
    name: 'systemd-run',
    value_options: ['-u', '--unit', '-p', '--property', '-E', '--setenv', '--description', '--slice', '-M', '--machine',
      '-H', '--host', '--uid', '--gid', '--nice', '--working-directory', '--on-active', '--on-boot', '--on-startup',
      '--on-unit-active', '--on-unit-inactive', '--on-calendar', '--on-clock-change', '--on-timezone-change',
      '--timer-property', '--path-property', '--socket-property', '--service-type', '--json'],
    flag_options: ['--user', '--system', '--scope', '-r', '--remain-after-exit', '--send-sighup', '-t', '--pty', '-P',
      '--pipe', '-q', '--quiet', '-W', '--wait', '-G', '--collect', '--no-block', '--no-ask-password', '-d', '--same-dir',
      '--wait', '--ignore-failure', '--background'],
    env_options: ['-E', '--setenv'],
    shell_options: ['-S', '--shell'],
    no_exec_options: ['-h', '--help', '--version'],
  },
  {
    name: 'strace',
    value_options: ['-e', '-o', '--output', '-s', '--string-limit', '-u', '--user', '-E', '--env', '-I', '--interruptible',
      '-b', '--detach-on', '-a', '--columns', '-S', '--summary-sort-by', '-P', '--trace-path', '-X', '--const-print-style',
      '-O', '--summary-syscall-overhead', '-U', '--summary-columns', '--trace', '--signal', '--status', '--decode-fds'],
    flag_options: ['-f', '--follow-forks', '-ff', '--output-separately', '-c', '--summary-only', '-C', '--summary', '-d',
      '--debug', '-D', '--daemonize', '-i', '--instruction-pointer', '-k', '--stack-trace', '-q', '--quiet', '-qq',
      '-r', '--relative-timestamps', '-t', '-tt', '-ttt', '--absolute-timestamps', '-T', '--syscall-times', '-v',
      '--no-abbrev', '-w', '--summary-wall-clock', '-x', '-xx', '-y', '--decode-fds', '-yy', '-z', '--successful-only',
      '-Z', '--failed-only', '-n', '--syscall-number', '--seccomp-bpf'],
    env_options: ['-E', '--env'],
    no_exec_options: ['-p', '--attach', '-h', '--help', '-V', '--version'],
  },
  {
    name: 'ltrace',
    value_options: ['-a', '--align', '-A', '-D', '--debug', '-e', '-F', '--config', '-l', '--library', '-n', '--indent',
      '-o', '--output', '-s', '-u', '-w', '--where', '-x'],
    flag_options: ['-b', '--no-signals', '-c', '-C', '--demangle', '-f', '-i', '-L', '-r', '-S', '-t', '-tt', '-ttt', '-T'],
    no_exec_options: ['-p', '-h', '--help', '-V', '--version'],
  },
  { name: ['valgrind', 'catchsegv', 'eatmydata', 'nocache', 'unbuffer', 'dbus-run-session', 'tini', 'dumb-init', 'proxychains', 'proxychains4', 'torsocks', 'tsocks'],
    value_options: ['--config-file', '--dbus-daemon', '-f', '-u', '-p', '-a', '-P', '-r', '--rewrite', '-s', '-e'],
    flag_options: ['-q', '-v', '-c', '-i', '-d', '-w', '-g', '--single-child', '--verbose', '--'],
    unknown_options: 'flag' },
  {
    name: 'xvfb-run',
    value_options: ['-e', '--error-file', '-f', '--auth-file', '-n', '--server-num', '-p', '--xauth-protocol', '-s',
      '--server-args', '-w', '--wait'],
    flag_options: ['-a', '--auto-servernum', '-l', '--listen-tcp'],
    no_exec_options: ['-h', '--help'],
  },
  { name: 'caffeinate', value_options: ['-t', '-w'], flag_options: ['-d', '-i', '-m', '-s', '-u'] },
  { name: ['gosu', 'su-exec'], operands: 1 },
  { name: 'sshpass', value_options: ['-p', '-f', '-d', '-P'], flag_options: ['-e', '-v'] },
  { name: 'fakeroot', value_options: ['-l', '--lib', '--faked', '-s', '-i', '-b'], flag_options: ['-u', '--unknown-is-real'] },
  { name: 'faketime', value_options: ['-m'], flag_options: ['-f'], operands: 1 },
  { name: 'cgexec', value_options: ['-g'], flag_options: ['--sticky'] },
  {
    name: 'setpriv',
    value_options: ['--reuid', '--regid', '--ruid', '--euid', '--rgid', '--egid', '--groups', '--inh-caps',
      '--ambient-caps', '--bounding-set', '--securebits', '--pdeathsig', '--selinux-label', '--apparmor-profile',
      '--landlock-access', '--landlock-rule', '--ptracer'],
    flag_options: ['--clear-groups', '--keep-groups', '--init-groups', '--no-new-privs', '--reset-env', '--nnp'],
    no_exec_options: ['-d', '--dump', '-h', '--help', '-V', '--version'],
  },
  { name: 'prlimit', value_options: ['-o', '--output'], flag_options: ['--noheadings', '--raw', '--verbose'], no_exec_options: ['-p', '--pid'], unknown_options: 'flag' },
  { name: 'numactl', value_options: ['-C', '--cpunodebind', '-N', '-m', '--membind', '-i', '--interleave', '-p', '--preferred', '-P', '--physcpubind'], flag_options: ['-a', '--all', '-l', '--localalloc'], no_exec_options: ['-s', '--show', '-H', '--hardware'] },
  {
    // Wait for the command to run repeatedly: `watch 'cmd | other'` is an `sh -c` string.
    name: 'watch',
    value_options: ['-n', '--interval', '-q', '--equexit'],
    flag_options: ['-b', '--beep', '-c', '--color', '-C', '--no-color', '-e', '--errexit', '-g', '--chgexit', '-p',
      '--precise', '-t', '--no-title', '-w', '--no-wrap', '-x', '--exec', '-r', '--no-rerun'],
    optional_value_options: ['-d', '--differences'],
    no_exec_options: ['-h', '--help', '-v', '--version'],
    runs: 'shell-string',
  },
  {
    // `script -c CMD [file]`: the operand is the typescript file, never a command.
    name: 'script',
    value_options: ['-E', '--echo', '-I', '--log-in', '-O', '--log-out', '-B', '--log-io', '-T', '--log-timing', '-m',
      '--logging-format', '-o', '--output-limit'],
    flag_options: ['-a', '--append', '-e', '--return', '-f', '--flush', '-q', '--quiet', '--force'],
    optional_value_options: ['-t', '--timing'],
    command_options: ['-c', '--command'],
    no_exec_options: ['-h', '--help', '-V', '--version'],
    runs: 'none',
    shell_without_command: true,
  },
  {
    // `sg GROUP -c CMD` / `sg GROUP CMD`: the command is an `sh -c` string.
    name: 'sg',
    command_options: ['-c'],
    flag_options: ['-'],
    operands: 1,
    runs: 'shell-string',
  },
  {
    name: 'xargs',
    value_options: ['-a', '--arg-file', '-d', '--delimiter', '-E', '-I', '-L', '-n', '--max-args', '-P', '--max-procs',
      '-s', '--max-chars', '--process-slot-var'],
    flag_options: ['-0', '--null', '-o', '--open-tty', '-p', '--interactive', '-r', '--no-run-if-empty', '-t',
      '--verbose', '-x', '--exit', '--show-limits'],
    optional_value_options: ['-e', '--eof', '-i', '--replace', '-l', '--max-lines'],
    no_exec_options: ['--help', '--version'],
  },
  {
    name: 'parallel',
    value_options: ['-j', '--jobs', '-S', '--sshlogin', '-a', '--arg-file', '-d', '--delimiter', '-E', '-I', '--colsep',
      '-C', '-n', '--max-args', '-N', '--joblog', '--results', '--tmpdir', '--workdir', '--wd', '--timeout', '--delay',
      '--memfree', '--load', '--retries', '--sshloginfile', '--slf', '--transferfile', '--tf', '--return', '--basefile',
      '--bf', '--env', '--tag-string', '--tagstring', '--shebang-wrap', '--rpl', '--block', '--pipe-part', '--limit'],
    flag_options: ['-k', '--keep-order', '--tag', '-q', '--quote', '--pipe', '--dry-run', '--bar', '--progress', '--eta',
      '-0', '--null', '-u', '--ungroup', '--line-buffer', '-v', '--verbose', '--halt-on-error', '-X', '--xargs', '-m',
      '--will-cite', '--no-notice', '--nonall', '--onall', '-r', '--no-run-if-empty'],
    optional_value_options: ['-i', '--replace', '-e', '--eof', '-l', '--max-lines', '--halt'],
    no_exec_options: ['--help', '--version', '--citation', '--number-of-cpus', '--number-of-cores'],
  },
  { name: ['busybox', 'toybox'], no_exec_options: ['--help', '--list', '--list-full', '--install'], long_option_prefixes: false },
];

/** The built-in table, indexed by program name. */
export function indexWrappers(docs: readonly WrapperDoc[]): Map<string, WrapperDoc[]> {
  const index = new Map<string, WrapperDoc[]>();
  for (const doc of docs) {
    for (const name of typeof doc.name === 'string' ? [doc.name] : doc.name) {
      const list = index.get(name);
      if (list === undefined) index.set(name, [doc]);
      else list.push(doc);
    }
  }
  return index;
}
