/**
 * JSON Schema of the server config file (`gate serve --config`, default
 * `$GATE_HOME/server/config.yaml`). Destinations live under `notify`, one key per kind; Teams and
 * webhook destinations (named, since their URLs are secrets) are added next to `slack`.
 */
const CHANNEL = { type: 'string', pattern: '^#?[A-Za-z0-9][A-Za-z0-9._-]{0,79}$' } as const;
/** Teams workflow and webhook names, as policies list them in approval.notify.teams / .webhook. */
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const ENV_NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' } as const;

export const SERVER_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    notify: {
      type: 'object',
      additionalProperties: false,
      properties: {
        slack: { $ref: '#/definitions/slack' },
        teams: { $ref: '#/definitions/teams' },
        webhooks: {
          type: 'object',
          maxProperties: 20,
          propertyNames: { pattern: NAME_PATTERN },
          additionalProperties: { $ref: '#/definitions/webhook' },
        },
      },
    },
  },
  definitions: {
    teams: {
      type: 'object',
      additionalProperties: false,
      required: ['workflows'],
      properties: {
        workflows: {
          type: 'object',
          minProperties: 1,
          maxProperties: 20,
          propertyNames: { pattern: NAME_PATTERN },
          description: 'name -> the Workflows webhook URL (a secret: better in an environment variable, url_env).',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: { url_env: ENV_NAME, url: { type: 'string', minLength: 8, maxLength: 2000 } },
            oneOf: [{ required: ['url_env'] }, { required: ['url'] }],
          },
        },
        default: { type: 'array', maxItems: 10, uniqueItems: true, items: { type: 'string', pattern: NAME_PATTERN } },
      },
    },
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2000 },
        secret_env: ENV_NAME,
        secret: { type: 'string', minLength: 16, description: 'The HMAC signing key; better in an environment variable (secret_env).' },
        default: { type: 'boolean', description: 'Also told about requests whose rule names no destination.' },
      },
      oneOf: [{ required: ['secret_env'] }, { required: ['secret'] }],
    },
    slack: {
      type: 'object',
      additionalProperties: false,
      properties: {
        api_url: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'Slack Web API base URL (default https://slack.com/api).' },
        bot_token: { type: 'string', minLength: 8, description: 'Bot token xoxb-...; better in GATE_SLACK_BOT_TOKEN.' },
        signing_secret: { type: 'string', minLength: 8, description: 'The app signing secret; better in GATE_SLACK_SIGNING_SECRET.' },
        app_id: { type: 'string', pattern: '^A[A-Z0-9]{1,40}$' },
        team_id: { type: 'string', pattern: '^[TE][A-Z0-9]{1,40}$' },
        default_channels: { type: 'array', maxItems: 10, uniqueItems: true, items: CHANNEL },
        users: {
          type: 'object',
          description: 'TEAM_ID/USER_ID -> gate principal name, e.g. T0ACME/U0BOB: bob',
          propertyNames: { pattern: '^[TE][A-Z0-9]{1,40}/[UW][A-Z0-9]{1,40}$' },
          additionalProperties: { type: 'string', minLength: 1, maxLength: 200 },
        },
        email_lookup: { type: 'boolean' },
      },
      // Binding by email is only as good as the workspace that vouches for the address.
      if: { properties: { email_lookup: { const: true } }, required: ['email_lookup'] },
      then: { required: ['team_id'] },
    },
  },
} as const;
