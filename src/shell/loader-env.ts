/**
 * Environment variables that change which code runs: the shell's startup files and trace hooks,
 * the program search path, dynamic-loader and interpreter preloads, and the commands tools start
 * on their own (pager, editor, ssh, askpass). Assigning one for a command (`PATH=./b ls`,
 * `env LD_PRELOAD=x.so ls`, `export BASH_ENV=...`) makes gate's view of the command meaningless,
 * so it fails closed.
 */
const NAMES = new Set([
  'BASH_ENV', 'ENV', 'PS0', 'PS1', 'PS2', 'PS4', 'PROMPT_COMMAND', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH', 'GLOBIGNORE',
  'PATH', 'SHELL', 'HOME', 'XDG_CONFIG_HOME', 'GCONV_PATH', 'LOCPATH', 'NLSPATH', 'HOSTALIASES',
  'NODE_OPTIONS', 'NODE_PATH', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONINSPECT', 'PYTHONUSERBASE',
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'PHPRC', 'PHP_INI_SCAN_DIR', 'LUA_INIT',
  'LUA_PATH', 'LUA_CPATH', 'TCLLIBPATH', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH', 'GOFLAGS', 'RUSTC_WRAPPER', 'RUSTC', 'CARGO_BUILD_RUSTC_WRAPPER',
  'GIT_DIR', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR',
  'GIT_ASKPASS', 'GIT_EXTERNAL_DIFF', 'GIT_PROXY_COMMAND', 'GIT_TEMPLATE_DIR', 'PAGER', 'MANPAGER', 'LESSOPEN',
  'LESSCLOSE', 'EDITOR', 'VISUAL', 'SUDO_EDITOR', 'BROWSER', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'RSYNC_RSH',
  'RSYNC_CONNECT_PROG', 'KUBECTL_EXTERNAL_DIFF', 'TAR_OPTIONS', 'SYSTEMD_PAGER', 'SYSTEMD_EDITOR', 'AWS_PAGER', 'PSQL_PAGER',
  'PSQL_EDITOR', 'GH_PAGER', 'BAT_PAGER', 'DELTA_PAGER', 'MANOPT', 'KUBE_EDITOR', 'FCEDIT', 'TERMINAL',
]);

const PREFIXES = ['LD_', 'DYLD_', 'GIT_CONFIG', 'BASH_FUNC_', 'NPM_CONFIG_', 'npm_config_'];

export function isLoaderVariable(name: string): boolean {
  if (NAMES.has(name)) return true;
  for (const prefix of PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

/**
 * Inherited variables that make a shell run extra code: startup files (BASH_ENV, ENV), xtrace
 * hooks (SHELLOPTS + PS4) and exported functions, which can replace any command name.
 */
export function shellInjectingVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  const found: string[] = [];
  for (const name of Object.keys(env)) {
    if (env[name] === undefined) continue;
    if (name === 'BASH_ENV' || name === 'ENV' || name === 'SHELLOPTS' || name === 'BASHOPTS' || name === 'PS4' || name === 'PROMPT_COMMAND') found.push(name);
    else if (name.startsWith('BASH_FUNC_')) found.push(name);
  }
  return found;
}
