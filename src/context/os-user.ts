import { userInfo } from 'node:os';

/** The login name this process runs as (for the record; the approval service decides by token). */
export function osUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}
