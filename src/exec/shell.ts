import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { runInherited, type ExecOutcome } from './run.js';

/**
 * Runs a shell string that gate has analyzed, in the shell the analysis models: bash, started so
 * that nothing but the string runs. No profile or rc files, and none of the variables that make
 * bash run other code (BASH_ENV, ENV, SHELLOPTS/BASHOPTS with PS4, PROMPT_COMMAND) or change how
 * the string is read (CDPATH, GLOBIGNORE), and no exported functions (`BASH_FUNC_name%%`), which
 * would replace any command name. The string is passed after `--`, so a leading `-` is a command.
 */

/** Well-known places first: a `bash` earlier on PATH (or in a relative PATH entry) is not trusted. */
const BASH_LOCATIONS = ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash', '/opt/homebrew/bin/bash'];

/** Variables removed from the shell's environment, by name. */
const REMOVED = new Set(['BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'GLOBIGNORE', 'PS4', 'PROMPT_COMMAND', 'IFS']);

/** Absolute path of bash: a well-known location, else the first absolute PATH entry that has it. */
export function resolveBash(pathVar: string | undefined): string | undefined {
  const candidates = [...BASH_LOCATIONS, ...(pathVar ?? '').split(delimiter).filter((dir) => isAbsolute(dir)).map((dir) => join(dir, 'bash'))];
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: try the next one.
    }
  }
  return undefined;
}

/** The environment the shell gets: a copy without the variables above and exported functions. */
export function shellEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = Object.create(null) as NodeJS.ProcessEnv;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || REMOVED.has(name) || name.startsWith('BASH_FUNC_')) continue;
    clean[name] = value;
  }
  return clean;
}

/** argv of the shell for a string: exactly what runs. */
export function shellArgv(text: string): string[] {
  return ['bash', '--noprofile', '--norc', '-c', '--', text];
}

export interface ShellRequest {
  readonly text: string;
  readonly cwd: string;
  /** The environment before cleaning; shellEnvironment() is applied here. */
  readonly env: NodeJS.ProcessEnv;
  /** Absolute path of bash (resolveBash()). */
  readonly bash: string;
}

/** Runs the string with inherited stdio and forwarded signals; the outcome carries the exit code. */
export function runShell(request: ShellRequest): Promise<ExecOutcome> {
  return runInherited({ file: request.bash, argv: shellArgv(request.text), cwd: request.cwd, env: shellEnvironment(request.env) });
}
