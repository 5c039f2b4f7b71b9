/**
 * Slack interactivity payloads (https://docs.slack.dev/reference/interaction-payloads), parsed
 * from the raw form body into the few fields gate uses. Everything else in them (the echoed
 * message, `user.name`, the legacy `token`) is ignored: identity is `(team, user.id)` only, and
 * that is trusted only because the body's signature was checked first.
 */

export interface Actor {
  readonly teamId: string;
  readonly userId: string;
}

export type Interaction =
  | {
      readonly type: 'block_actions';
      readonly actor: Actor;
      readonly appId: string | undefined;
      readonly triggerId: string | undefined;
      readonly actionId: string;
      /** The button's value: a request id, to look up, never to trust. */
      readonly value: string | undefined;
      /** Where the clicked message is (absent for clicks inside a modal). */
      readonly channelId: string | undefined;
      readonly messageTs: string | undefined;
    }
  | {
      readonly type: 'view_submission';
      readonly actor: Actor;
      readonly appId: string | undefined;
      readonly callbackId: string;
      readonly privateMetadata: string;
      /** state.values flattened: block_id -> the value of its (single) input. */
      readonly values: Readonly<Record<string, string | undefined>>;
    }
  | { readonly type: 'ignored'; readonly kind: string };

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

const ID = /^[A-Z0-9]{1,40}$/;

/** The `payload=` field of a form-encoded body; throws PayloadError for anything malformed. */
export function parseInteraction(body: string): Interaction {
  const form = new URLSearchParams(body);
  const raw = form.get('payload');
  if (raw === null) throw new PayloadError('no payload field');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new PayloadError('payload is not JSON');
  }
  const p = obj(json, 'payload');
  const type = str(p.type, 'type');
  if (type !== 'block_actions' && type !== 'view_submission') return { type: 'ignored', kind: type };
  const user = obj(p.user, 'user');
  const userId = str(user.id, 'user.id');
  // Org-wide installs send team: null; the user's own team_id is then the one to bind to.
  const team = p.team === null || p.team === undefined ? undefined : obj(p.team, 'team');
  const teamId = team !== undefined ? str(team.id, 'team.id') : str(user.team_id, 'user.team_id');
  if (!ID.test(userId) || !ID.test(teamId)) throw new PayloadError('user or team id has an unexpected form');
  const actor = { teamId, userId };
  const appId = typeof p.api_app_id === 'string' ? p.api_app_id : undefined;

  if (type === 'block_actions') {
    const actions = p.actions;
    if (!Array.isArray(actions) || actions.length === 0) throw new PayloadError('actions: expected a non-empty list');
    const action = obj(actions[0], 'actions[0]');
    const container = p.container === undefined || p.container === null ? {} : obj(p.container, 'container');
    const channel = p.channel === undefined || p.channel === null ? {} : obj(p.channel, 'channel');
    return {
      type,
      actor,
      appId,
      triggerId: optStr(p.trigger_id),
      actionId: str(action.action_id, 'actions[0].action_id'),
      value: optStr(action.value),
      channelId: optStr(container.channel_id) ?? optStr(channel.id),
      messageTs: optStr(container.message_ts),
    };
  }
  const view = obj(p.view, 'view');
  const state = view.state === undefined ? {} : obj(view.state, 'view.state');
  const values: Record<string, string | undefined> = Object.create(null);
  const blocks = state.values === undefined ? {} : obj(state.values, 'view.state.values');
  for (const [blockId, inputs] of Object.entries(blocks)) {
    const first = Object.values(obj(inputs, `view.state.values.${blockId}`))[0];
    values[blockId] = first === undefined ? undefined : optStr(obj(first, `view.state.values.${blockId}`).value);
  }
  return {
    type,
    actor,
    appId,
    callbackId: str(view.callback_id, 'view.callback_id'),
    privateMetadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
    values,
  };
}

function obj(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PayloadError(`${path}: expected an object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw new PayloadError(`${path}: expected a string`);
  return value;
}

const optStr = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
