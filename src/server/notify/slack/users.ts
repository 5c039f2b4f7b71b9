import type { PrincipalRecord } from '../../types.js';
import type { SlackApi } from './api.js';
import type { Actor } from './payload.js';
import type { SlackSettings } from './settings.js';

/**
 * Who a Slack user is in gate. Bound by `(team id, user id)`, which Slack signs and never
 * reuses, never by a display name (anyone can change theirs). Either the config maps the pair
 * explicitly, or (email_lookup) users.info gives the profile email of an active, non-bot,
 * non-guest member of the configured workspace, and the principal of that name is the approver.
 * Whether that principal may decide a request is the service's call, never this module's.
 */
export type Mapping = { readonly ok: true; readonly principal: PrincipalRecord; readonly via: 'config' | 'email' } | { readonly ok: false; readonly reason: string };

export interface UserMapperDeps {
  readonly settings: Pick<SlackSettings, 'users' | 'emailLookup' | 'teamId'>;
  readonly api: Pick<SlackApi, 'read'>;
  readonly principalByName: (name: string) => PrincipalRecord | undefined;
  readonly now?: () => number;
  /** How long a users.info answer is reused. */
  readonly cacheMs?: number;
}

type Lookup = { readonly email: string } | { readonly refused: string };

export class SlackUserMapper {
  private readonly cache = new Map<string, { at: number; lookup: Lookup }>();
  private readonly now: () => number;
  private readonly cacheMs: number;

  constructor(private readonly deps: UserMapperDeps) {
    this.now = deps.now ?? Date.now;
    this.cacheMs = deps.cacheMs ?? 5 * 60_000;
  }

  async principalFor(actor: Actor): Promise<Mapping> {
    const key = `${actor.teamId}/${actor.userId}`;
    const { settings } = this.deps;
    const named = settings.users.get(key);
    if (named !== undefined) return this.active(named, 'config', `the gate principal ${named} (mapped to Slack user ${key}) does not exist or was revoked`);
    if (!settings.emailLookup) return { ok: false, reason: `your Slack account (${key}) is not mapped to a gate approver; ask the gate admin to add it` };
    if (settings.teamId !== undefined && actor.teamId !== settings.teamId) {
      return { ok: false, reason: `your Slack workspace (${actor.teamId}) is not the one gate trusts for approvers` };
    }
    const lookup = await this.lookup(actor);
    if ('refused' in lookup) return { ok: false, reason: lookup.refused };
    return this.active(lookup.email, 'email', `no active gate principal is named ${lookup.email} (your Slack email); ask the gate admin for one, or to map your account`);
  }

  private active(name: string, via: 'config' | 'email', missing: string): Mapping {
    const principal = this.deps.principalByName(name) ?? (via === 'email' ? this.deps.principalByName(name.toLowerCase()) : undefined);
    if (principal === undefined) return { ok: false, reason: missing };
    return { ok: true, principal, via };
  }

  private async lookup(actor: Actor): Promise<Lookup> {
    const key = `${actor.teamId}/${actor.userId}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && this.now() - cached.at < this.cacheMs) return cached.lookup;
    const reply = await this.deps.api.read('users.info', { user: actor.userId });
    if (!reply.ok) {
      // Not cached: the next click asks again.
      return { refused: `your Slack account (${key}) is not mapped to a gate approver and could not be looked up (${reply.failure.error.replace(/^[^:]*: /, '')})` };
    }
    const lookup = judge(reply.body.user, actor, this.deps.settings.teamId);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: this.now(), lookup });
    return lookup;
  }
}

/** Only an active full member of the trusted workspace with an email can be an approver. */
function judge(user: unknown, actor: Actor, teamId: string | undefined): Lookup {
  if (typeof user !== 'object' || user === null) return { refused: 'Slack returned no user' };
  const u = user as Record<string, unknown>;
  const profile = (typeof u.profile === 'object' && u.profile !== null ? u.profile : {}) as Record<string, unknown>;
  if (u.id !== actor.userId) return { refused: 'Slack returned another user' };
  if (teamId !== undefined && u.team_id !== teamId) return { refused: `your Slack account belongs to another workspace than ${teamId}` };
  if (u.deleted === true) return { refused: 'your Slack account is deactivated' };
  if (u.is_bot === true || u.is_app_user === true) return { refused: 'bots cannot approve' };
  if (u.is_restricted === true || u.is_ultra_restricted === true) return { refused: 'guest accounts cannot approve' };
  const email = typeof profile.email === 'string' ? profile.email.trim() : '';
  if (email === '' || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    return { refused: 'Slack did not share your email with gate (the app needs the users:read.email scope), so your account cannot be mapped' };
  }
  return { email };
}
