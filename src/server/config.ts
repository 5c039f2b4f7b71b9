import { join } from 'node:path';
import { GateError } from '../errors.js';
import { parseDuration } from '../policy/duration.js';

/** Where the server keeps its state under GATE_HOME. */
export const serverDir = (home: string): string => join(home, 'server');
export const defaultDbPath = (home: string): string => join(serverDir(home), 'gate.db');
export const serverKeyPath = (home: string): string => join(serverDir(home), 'server-key.pem');
/** The server config file `gate serve` reads when there is one and --config names none. */
export const serverConfigPath = (home: string): string => join(serverDir(home), 'config.yaml');

/** `host:port`, `[v6]:port` or `:port`; port 0 asks the OS for a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) {
    throw new GateError('USAGE', `--listen ${text}: expected host:port, e.g. 127.0.0.1:8787 (port 0 picks a free port)`);
  }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

export function parseReceiptTtl(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new GateError('USAGE', `--receipt-ttl ${text}: expected a duration such as 90s, 5m or 1h`);
  return seconds;
}

export function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GateError('USAGE', `--public-url ${text}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GateError('USAGE', `--public-url ${text}: expected an http or https URL`);
  return url.toString().replace(/\/+$/, '');
}
