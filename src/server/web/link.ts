import { parseDuration } from '../../policy/duration.js';
import { GateError } from '../../errors.js';
import { parsePublicUrl } from '../config.js';
import { LINK_MAX_SECONDS } from './sessions.js';

/** The default base URL of `gate token link` when nothing else says where the server is. */
export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8787';

/** `--ttl` of `gate token link`: a duration up to a day. */
export function parseLinkTtl(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds > LINK_MAX_SECONDS) throw new GateError('USAGE', `--ttl ${text}: expected a duration up to 24h, such as 10m or 1h`);
  return seconds;
}

/** Where one-time links point: `<public URL>/signin/link/` + token (the page there only offers a button). */
export function signinLinkPrefix(publicUrl: string): string {
  return `${parsePublicUrl(publicUrl)}/signin/link/`;
}
