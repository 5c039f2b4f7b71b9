import type { Hono } from 'hono';
import type { RequestEvent } from '../../approval/protocol.js';
import { GateError } from '../../errors.js';
import type { PolicySet } from '../../policy/types.js';
import type { ServerFileConfig } from '../config-file.js';
import type { ApprovalService } from '../service.js';
import type { Store } from '../store/store.js';
import type { Destination, Snapshot } from './delivery.js';
import { Dispatcher } from './dispatcher.js';
import type { RetryPolicy } from './plan.js';
import { SlackApi } from './slack/api.js';
import { SlackDestination } from './slack/destination.js';
import { SlackInteractions } from './slack/interactions.js';
import { resolveSlackSettings, type SlackSettings } from './slack/settings.js';
import { SlackUserMapper } from './slack/users.js';
import { TeamsDestination } from './teams/destination.js';
import { resolveTeamsSettings, type TeamsSettings } from './teams/settings.js';
import { WebhookDestination } from './webhook/destination.js';
import { JsonPoster } from './webhook/post.js';
import { resolveWebhookSettings, type WebhookSettings } from './webhook/settings.js';

export type { SlackSettings } from './slack/settings.js';
export type { TeamsSettings } from './teams/settings.js';
export type { WebhookSettings } from './webhook/settings.js';

/** Which notification channels run, from the server config file (see config-file.ts). */
export interface NotifySettings {
  readonly slack?: SlackSettings;
  readonly teams?: TeamsSettings;
  readonly webhooks?: WebhookSettings;
  /** Worth a line in the server log at start (e.g. a legacy Teams URL); no secrets in them. */
  readonly warnings?: readonly string[];
}

/** The notify section of the config file, with secrets from the environment (which wins). */
export function resolveNotifySettings(config: ServerFileConfig, env: Readonly<Record<string, string | undefined>>, source: string): NotifySettings {
  const { slack, teams, webhooks } = config.notify ?? {};
  const resolvedTeams = teams === undefined ? undefined : resolveTeamsSettings(teams, env, source);
  return {
    ...(slack !== undefined ? { slack: resolveSlackSettings(slack, env, source) } : {}),
    ...(resolvedTeams !== undefined ? { teams: resolvedTeams.settings, warnings: resolvedTeams.warnings } : {}),
    ...(webhooks !== undefined ? { webhooks: resolveWebhookSettings(webhooks, env, source) } : {}),
  };
}

/**
 * Every Teams workflow and webhook the policy names must be configured: a typo would otherwise
 * silently announce nothing. A kind that is not configured at all only gets a warning, as Slack
 * does (a policy may be shared by servers with different channels).
 */
export function checkNotifyNames(set: Pick<PolicySet, 'rules' | 'defaultApproval'>, settings: NotifySettings): string[] {
  const kinds = [
    { kind: 'teams', known: settings.teams === undefined ? undefined : new Set(settings.teams.workflows.keys()), where: 'notify.teams.workflows' },
    { kind: 'webhook', known: settings.webhooks === undefined ? undefined : new Set(settings.webhooks.endpoints.keys()), where: 'notify.webhooks' },
  ] as const;
  const named = [
    ...set.rules.flatMap((r) => {
      const who = `rule ${r.id} (${r.source.file}:${r.source.line})`;
      return [
        { who, field: 'approval.notify', notify: r.approval?.notify },
        { who, field: 'approval.escalate.notify', notify: r.approval?.escalate?.notify },
      ];
    }),
    { who: 'defaults', field: 'approval.notify', notify: set.defaultApproval.notify },
    { who: 'defaults', field: 'approval.escalate.notify', notify: set.defaultApproval.escalate?.notify },
  ];
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const { kind, known, where } of kinds) {
    for (const { who, field, notify } of named) {
      for (const name of notify?.[kind] ?? []) {
        if (known === undefined) warnings.push(`warning: ${who} names ${kind} destination "${name}" but ${kind === 'teams' ? 'Teams is not' : 'no webhook is'} configured (see docs/${kind === 'teams' ? 'teams' : 'webhooks'}.md)`);
        else if (!known.has(name)) problems.push(`${who}: ${field}.${kind} names "${name}", which is not in the server config's ${where}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new GateError('CONFIG_INVALID', [`unknown notification destination${problems.length > 1 ? 's' : ''}`, ...problems.map((p) => `  ${p}`)].join('\n'), {
      hint: 'add the name to the server config (gate serve --config) or fix the policy',
    });
  }
  return warnings;
}

/** Knobs for tests (short timeouts and backoff); production uses the defaults. */
export interface NotifyTuning {
  readonly slackTimeoutMs?: number;
  /** Teams workflows and webhooks: one POST. */
  readonly webhookTimeoutMs?: number;
  readonly retry?: RetryPolicy;
}

export interface Notifications {
  /** Routes to mount at the app's root (Slack's interactivity endpoint). */
  readonly routes: readonly Hono[];
  readonly dispatcher: Dispatcher;
  /** Resolves when no delivery and no click is being worked on (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the configured channels around the service: the dispatcher is fed every committed
 * transition through the event hub, and each channel adds its destination and routes.
 */
export function createNotifications(settings: NotifySettings, deps: { store: Store; service: ApprovalService; log: (line: string) => void; tuning?: NotifyTuning }): Notifications {
  const { store, service, log } = deps;
  const destinations: Destination[] = [];
  const routes: Hono[] = [];
  const closers: (() => Promise<void>)[] = [];
  let interactions: SlackInteractions | undefined;
  if (settings.slack !== undefined) {
    const slack = settings.slack;
    const api = new SlackApi({ baseUrl: slack.apiUrl, token: slack.botToken, ...(deps.tuning?.slackTimeoutMs !== undefined ? { timeoutMs: deps.tuning.slackTimeoutMs } : {}) });
    const mapper = new SlackUserMapper({ settings: slack, api, principalByName: (name) => store.principalByName(name) });
    interactions = new SlackInteractions({ settings: slack, service, mapper, api, log, seen: store.seen });
    destinations.push(new SlackDestination(api, slack));
    routes.push(interactions.routes());
    closers.push(() => api.close());
  }
  if (settings.teams !== undefined || settings.webhooks !== undefined) {
    const poster = new JsonPoster(deps.tuning?.webhookTimeoutMs !== undefined ? { timeoutMs: deps.tuning.webhookTimeoutMs } : {});
    closers.push(() => poster.close());
    for (const warning of settings.warnings ?? []) log(`notify: warning: ${warning}`);
    if (settings.teams !== undefined) {
      destinations.push(new TeamsDestination(poster, settings.teams, log));
      log(`notify: teams workflows ${[...settings.teams.workflows.keys()].join(', ')} (default: ${settings.teams.defaults.join(', ') || 'none'})`);
    }
    if (settings.webhooks !== undefined) {
      destinations.push(new WebhookDestination(poster, settings.webhooks));
      log(`notify: webhooks ${[...settings.webhooks.endpoints.keys()].join(', ')} (default: ${settings.webhooks.defaults.join(', ') || 'none'})`);
    }
  }
  const dispatcher = new Dispatcher({
    outbox: store.outbox,
    destinations,
    snapshot: (id) => latestSnapshot(store, id),
    pending: () => store.listRequests({ status: 'pending', limit: 10_000 }).map((r) => ({ id: r.id, requirement: r.requirement })),
    log,
    ...(deps.tuning?.retry !== undefined ? { retry: deps.tuning.retry } : {}),
  });
  const untap = destinations.length > 0 ? service.hub.tap((events) => dispatcher.committed(events)) : () => undefined;
  if (destinations.length > 0) dispatcher.start();
  return {
    routes,
    dispatcher,
    idle: async () => {
      await interactions?.settled();
      await dispatcher.whenIdle();
    },
    close: async () => {
      untap();
      await interactions?.settled();
      await dispatcher.stop();
      for (const close of closers) await close();
    },
  };
}

/** The request as its latest event shows it: the snapshot every subscriber saw, with its seq. */
function latestSnapshot(store: Store, id: string): Snapshot | undefined {
  const last = store.eventsAfter(id, 0).at(-1);
  if (last === undefined) return undefined;
  return { seq: last.seq, request: (JSON.parse(last.data) as RequestEvent).request };
}
