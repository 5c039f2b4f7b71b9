import { GateError } from '../../../errors.js';

/** `notify.teams` in the server config file, as validated by its schema. */
export interface TeamsSection {
  readonly workflows?: Readonly<Record<string, { readonly url_env?: string; readonly url?: string }>>;
  readonly default?: readonly string[];
}

/** Resolved: every workflow's URL (a secret), and where a rule that names no destination goes. */
export interface TeamsSettings {
  /** Name (what policies list in `approval.notify.teams`) -> Workflows webhook URL. */
  readonly workflows: ReadonlyMap<string, string>;
  readonly defaults: readonly string[];
}

export type WorkflowUrlKind = 'powerplatform' | 'legacy';

// The two shapes Microsoft has issued for "When a Teams webhook request is received" (protocols §2.1).
const POWERPLATFORM_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.environment\.api\.powerplatform\.com$/;
const POWERPLATFORM_PATH = /^\/powerautomate\/automations\/direct\/workflows\/[0-9a-f]{32}\/triggers\/manual\/paths\/invoke$/;
const LEGACY_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.logic\.azure\.com$/;
const LEGACY_PATH = /^\/workflows\/[0-9a-zA-Z]+\/triggers\/manual\/paths\/invoke$/;

/** Which Workflows URL shape `text` is, or undefined. Pure; says nothing about the URL in return. */
export function workflowUrlKind(text: string): WorkflowUrlKind | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || (url.port !== '' && url.port !== '443') || url.username !== '' || url.password !== '') return undefined;
  // Without `sig` the trigger answers 401: the URL was copied incompletely.
  if ((url.searchParams.get('sig') ?? '') === '') return undefined;
  if (POWERPLATFORM_HOST.test(url.hostname) && POWERPLATFORM_PATH.test(url.pathname)) return 'powerplatform';
  if (LEGACY_HOST.test(url.hostname) && LEGACY_PATH.test(url.pathname)) return 'legacy';
  return undefined;
}

/**
 * Takes each workflow's URL from its environment variable (`url_env`) or the file (`url`) and
 * checks its shape. Every message names the workflow and the variable, never the URL: it embeds
 * the `sig` that lets anyone post to the channel. Legacy logic.azure.com URLs are accepted with a
 * warning (Microsoft switched them off on 2025-11-30; a tenant may still have a working one).
 */
export function resolveTeamsSettings(section: TeamsSection, env: Readonly<Record<string, string | undefined>>, source: string): { settings: TeamsSettings; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const workflows = new Map<string, string>();
  for (const [name, entry] of Object.entries(section.workflows ?? {})) {
    const field = `notify.teams.workflows.${name}`;
    const url = entry.url_env !== undefined ? env[entry.url_env]?.trim() : entry.url?.trim();
    if (url === undefined || url === '') {
      problems.push(entry.url_env !== undefined ? `${field}: the environment variable ${entry.url_env} is not set` : `${field}: give url_env (recommended) or url`);
      continue;
    }
    const kind = workflowUrlKind(url);
    if (kind === undefined) {
      problems.push(`${field}: not a Teams Workflows webhook URL (expected https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/<id>/triggers/manual/paths/invoke?…&sig=…)`);
      continue;
    }
    if (kind === 'legacy') warnings.push(`${field}: a legacy logic.azure.com Workflows URL; Microsoft stopped these on 2025-11-30: copy the new URL from the flow's trigger (see docs/teams.md)`);
    workflows.set(name, url);
  }
  const defaults = [...(section.default ?? [])];
  for (const name of defaults) {
    if (!Object.hasOwn(section.workflows ?? {}, name)) problems.push(`notify.teams.default: "${name}" is not one of notify.teams.workflows`);
  }
  if (problems.length > 0) {
    throw new GateError('CONFIG_INVALID', [`${source}: invalid Teams configuration`, ...problems.map((p) => `  ${p}`)].join('\n'), { hint: 'see docs/teams.md' });
  }
  return { settings: { workflows, defaults }, warnings };
}
