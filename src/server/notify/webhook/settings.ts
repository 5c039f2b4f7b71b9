import { GateError } from '../../../errors.js';

/** One entry of `notify.webhooks` in the server config file, as validated by its schema. */
export interface WebhookSection {
  readonly url: string;
  readonly secret_env?: string;
  readonly secret?: string;
  /** Also told about requests whose rule names no destination. */
  readonly default?: boolean;
}

export interface WebhookEndpoint {
  readonly url: string;
  /** The HMAC key; never logged. */
  readonly secret: string;
}

export interface WebhookSettings {
  /** Name (what policies list in `approval.notify.webhook`) -> endpoint. */
  readonly endpoints: ReadonlyMap<string, WebhookEndpoint>;
  readonly defaults: readonly string[];
}

/** Shorter keys are guessable; 32 random bytes is what `openssl rand -hex 32` gives. */
const MIN_SECRET_LENGTH = 16;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Takes each webhook's signing secret from its environment variable (`secret_env`) or the file,
 * and checks the URL: https, or plain http to this machine only (a signed body still travels in
 * clear otherwise). Messages name the webhook and the variable, never a secret.
 */
export function resolveWebhookSettings(section: Readonly<Record<string, WebhookSection>>, env: Readonly<Record<string, string | undefined>>, source: string): WebhookSettings {
  const problems: string[] = [];
  const endpoints = new Map<string, WebhookEndpoint>();
  const defaults: string[] = [];
  for (const [name, entry] of Object.entries(section)) {
    const field = `notify.webhooks.${name}`;
    const secret = entry.secret_env !== undefined ? env[entry.secret_env]?.trim() : entry.secret;
    if (secret === undefined || secret === '') {
      problems.push(entry.secret_env !== undefined ? `${field}: the environment variable ${entry.secret_env} is not set` : `${field}: give secret_env (recommended) or secret`);
      continue;
    }
    if (secret.length < MIN_SECRET_LENGTH) problems.push(`${field}: the secret is shorter than ${MIN_SECRET_LENGTH} characters (use e.g. openssl rand -hex 32)`);
    const urlProblem = checkUrl(entry.url);
    if (urlProblem !== undefined) problems.push(`${field}.url: ${urlProblem}`);
    endpoints.set(name, { url: entry.url, secret });
    if (entry.default === true) defaults.push(name);
  }
  if (problems.length > 0) {
    throw new GateError('CONFIG_INVALID', [`${source}: invalid webhook configuration`, ...problems.map((p) => `  ${p}`)].join('\n'), { hint: 'see docs/webhooks.md' });
  }
  return { endpoints, defaults };
}

function checkUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not supported (the body is signed instead)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must be https:// (plain http only to localhost)';
}
