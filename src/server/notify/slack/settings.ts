import { GateError } from '../../../errors.js';

/** The `notify.slack` section of the server config file, as validated by its schema. */
export interface SlackSection {
  readonly api_url?: string;
  readonly bot_token?: string;
  readonly signing_secret?: string;
  readonly app_id?: string;
  readonly team_id?: string;
  readonly default_channels?: readonly string[];
  readonly users?: Readonly<Record<string, string>>;
  readonly email_lookup?: boolean;
}

/** Everything the Slack integration needs, defaults applied, secrets resolved. */
export interface SlackSettings {
  readonly apiUrl: string;
  readonly botToken: string;
  readonly signingSecret: string;
  /** When set, interactions of any other Slack app are refused. */
  readonly appId: string | undefined;
  /** When set, interactions from any other workspace are refused (required for email lookup). */
  readonly teamId: string | undefined;
  /** Where requests go whose rule names no destination at all. */
  readonly defaultChannels: readonly string[];
  /** `TEAM/USER` (e.g. `T0ACME/U0BOB`) -> gate principal name. */
  readonly users: ReadonlyMap<string, string>;
  /** Map other users by users.info -> profile.email -> the principal named by that address. */
  readonly emailLookup: boolean;
}

export const SLACK_API_URL = 'https://slack.com/api';
export const ENV_BOT_TOKEN = 'GATE_SLACK_BOT_TOKEN';
export const ENV_SIGNING_SECRET = 'GATE_SLACK_SIGNING_SECRET';

/**
 * Applies defaults and takes the secrets from the environment first (so the file can stay free
 * of them), then from the file. Both secrets are required: without the token nothing can be
 * posted, without the signing secret no click can be trusted. Messages never show a secret.
 */
export function resolveSlackSettings(section: SlackSection, env: Readonly<Record<string, string | undefined>>, source: string): SlackSettings {
  const botToken = nonEmpty(env[ENV_BOT_TOKEN]) ?? section.bot_token;
  const signingSecret = nonEmpty(env[ENV_SIGNING_SECRET]) ?? section.signing_secret;
  const missing = [
    ...(botToken === undefined ? [`the bot token (${ENV_BOT_TOKEN} or notify.slack.bot_token)`] : []),
    ...(signingSecret === undefined ? [`the signing secret (${ENV_SIGNING_SECRET} or notify.slack.signing_secret)`] : []),
  ];
  if (botToken === undefined || signingSecret === undefined) {
    throw new GateError('CONFIG_INVALID', `${source}: notify.slack is configured but ${missing.join(' and ')} is missing`, {
      hint: 'see docs/slack.md: the token is on the app\'s "OAuth & Permissions" page, the secret under "Basic Information"',
    });
  }
  const users = new Map<string, string>();
  for (const [key, name] of Object.entries(section.users ?? {})) users.set(key.toUpperCase(), name);
  return {
    apiUrl: section.api_url ?? SLACK_API_URL,
    botToken,
    signingSecret,
    appId: section.app_id,
    teamId: section.team_id,
    defaultChannels: [...(section.default_channels ?? [])],
    users,
    emailLookup: section.email_lookup ?? false,
  };
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
