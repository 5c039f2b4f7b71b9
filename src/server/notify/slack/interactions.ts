import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Action } from '../../lifecycle.js';
import { ApiError } from '../../errors.js';
import type { ApprovalService } from '../../service.js';
import type { SlackApi } from './api.js';
import { ACTION } from './blocks.js';
import { CALLBACK, INPUT, modal, parseModalContext, type ModalKind } from './modals.js';
import { parseInteraction, PayloadError, type Interaction } from './payload.js';
import type { SlackSettings } from './settings.js';
import type { SeenOnce } from '../../store/store.js';
import { checkSlackSignature, MAX_SKEW_SECONDS } from './signature.js';
import { link, mrkdwn } from './text.js';
import type { SlackUserMapper } from './users.js';

/** Where Slack sends clicks and modal submissions (the app's Interactivity Request URL). */
export const INTERACTIONS_PATH = '/slack/interactions';

const MAX_BODY_BYTES = 1024 * 1024;
/** A modal's answer must reach Slack within 3 s; mapping a user may need users.info. */
const SUBMIT_BUDGET_MS = 2_000;
const REQUEST_ID = /^req_[a-z2-7]{1,64}$/;
const MAX_TEXT = 10_000;

export interface InteractionsDeps {
  readonly settings: Pick<SlackSettings, 'signingSecret' | 'appId'>;
  readonly service: Pick<ApprovalService, 'act' | 'assertMayDecide' | 'get'>;
  readonly mapper: Pick<SlackUserMapper, 'principalFor'>;
  readonly api: Pick<SlackApi, 'write'>;
  readonly log: (line: string) => void;
  /** Signatures already accepted, kept in the service's database so a restart does not forget them. */
  readonly seen: SeenOnce;
  readonly nowSeconds?: () => number;
}

/**
 * The interactivity endpoint. The raw body is read once and its signature checked before anything
 * parses it; a replay inside the 5-minute window is refused too. Clicks are acknowledged at once
 * and handled after the answer (Slack wants one within 3 s); a modal submission is decided before
 * answering, so a refusal shows in the modal. Every decision goes through service.act, which
 * checks approver, group, self-approval, quorum and expiry as for any other channel; refusals
 * reach the clicker as an ephemeral message or a modal error, never silently dropped.
 */
export class SlackInteractions {
  private readonly tasks = new Set<Promise<void>>();
  private readonly nowSeconds: () => number;

  constructor(private readonly deps: InteractionsDeps) {
    this.nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The routes to mount at the app's root. */
  routes(): Hono {
    const app = new Hono();
    app.post(
      INTERACTIONS_PATH,
      bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.body(null, 413) }),
      async (c) => {
        const body = new Uint8Array(await c.req.arrayBuffer());
        const timestamp = c.req.header('x-slack-request-timestamp');
        const signature = c.req.header('x-slack-signature');
        const now = this.nowSeconds();
        const problem = checkSlackSignature(this.deps.settings.signingSecret, { timestamp, signature, body }, now);
        if (problem !== undefined) {
          this.deps.log(`slack: refused an interaction: signature ${problem}`);
          return c.body(null, 401);
        }
        // The header is exactly `v0=<64 hex>` by now, so one captured request has one key.
        if (!this.deps.seen.firstTime(`slack:${timestamp!}:${signature!}`, Number(timestamp), now - MAX_SKEW_SECONDS)) {
          this.deps.log('slack: refused an interaction: replayed signature');
          return c.body(null, 401);
        }
        let interaction: Interaction;
        try {
          interaction = parseInteraction(Buffer.from(body).toString('utf8'));
        } catch (error) {
          if (!(error instanceof PayloadError)) throw error;
          this.deps.log(`slack: malformed interaction: ${error.message}`);
          return c.body(null, 400);
        }
        if (interaction.type === 'ignored') return c.body(null, 200);
        if (this.deps.settings.appId !== undefined && interaction.appId !== this.deps.settings.appId) {
          this.deps.log(`slack: ignored an interaction of another app (${interaction.appId ?? 'none'})`);
          return c.body(null, 200);
        }
        if (interaction.type === 'block_actions') {
          this.background(() => this.click(interaction));
          return c.body(null, 200);
        }
        const errors = await this.submit(interaction);
        return errors === undefined ? c.body(null, 200) : c.json({ response_action: 'errors', errors });
      },
    );
    return app;
  }

  /** Resolves when every click handled in the background is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private background(work: () => Promise<void>): void {
    const task = work().catch((error: unknown) => this.deps.log(`slack: handling a click failed: ${(error as Error).message}`));
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  private async click(i: Extract<Interaction, { type: 'block_actions' }>): Promise<void> {
    const kind = i.actionId === ACTION.approve ? 'approve' : i.actionId === ACTION.deny ? 'deny' : i.actionId === ACTION.ask ? 'ask' : undefined;
    // "Open in gate" is a link; Slack still reports the click, which needs nothing but the ack.
    if (kind === undefined) return;
    const tell = (text: string): Promise<void> => this.ephemeral(i.channelId, i.actor.userId, text);
    if (i.value === undefined || !REQUEST_ID.test(i.value)) return tell(':warning: This button does not name a gate request.');
    const id = i.value;
    const mapping = await this.deps.mapper.principalFor(i.actor);
    if (!mapping.ok) return tell(`:no_entry_sign: You cannot decide \`${id}\`: ${mrkdwn(mapping.reason)}.`);
    const actor = mapping.principal;
    try {
      if (kind === 'approve') {
        this.deps.service.act(actor, id, { type: 'approve' }, 'slack');
        return;
      }
      // Ask before collecting a reason: a refusal now saves typing one for nothing.
      this.deps.service.assertMayDecide(actor, id);
      const request = this.deps.service.get(actor, id);
      if (i.triggerId === undefined) return tell(':warning: Slack sent no trigger to open a dialog with; use `gate deny` or `gate ask`.');
      const opened = await this.deps.api.write('views.open', { trigger_id: i.triggerId, view: modal(kind, request, { request_id: id, ...(i.channelId !== undefined ? { channel: i.channelId } : {}) }) });
      if (!opened.ok) {
        this.deps.log(`slack: cannot open the ${kind} dialog for ${id}: ${opened.failure.error}`);
        return tell(`:warning: Slack could not open the dialog (${opened.failure.error.replace(/^[^:]*: /, '')}); click the button again.`);
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.deps.log(`slack: ${actor.name} could not ${kind} ${id}: ${error.code}`);
      // A click cannot prove a fresh sign-in: send the approver to the web page, which can ask for one.
      if (error.code === 'reauth_required') return tell(`:lock: Approving \`${id}\` needs a fresh sign-in, which Slack cannot prove: ${link(this.deps.service.get(actor, id).url, 'approve it on the web page')} (or run \`gate approve ${id}\`).`);
      return tell(`:no_entry_sign: ${mrkdwn(refusal(error))}`);
    }
  }

  /** A modal's submission: undefined closes it, a map of block errors keeps it open with them shown. */
  private async submit(i: Extract<Interaction, { type: 'view_submission' }>): Promise<Record<string, string> | undefined> {
    const kind: ModalKind | undefined = i.callbackId === CALLBACK.deny ? 'deny' : i.callbackId === CALLBACK.ask ? 'ask' : undefined;
    if (kind === undefined) return undefined;
    const block = INPUT[kind];
    const context = parseModalContext(i.privateMetadata);
    if (context === undefined) return { [block]: 'This dialog does not belong to a gate request.' };
    const text = (i.values[block] ?? '').trim();
    if (text === '') return { [block]: kind === 'deny' ? 'A denial needs a reason.' : 'Write a question.' };
    if (text.length > MAX_TEXT) return { [block]: `At most ${MAX_TEXT} characters.` };
    const mapping = await withBudget(this.deps.mapper.principalFor(i.actor), SUBMIT_BUDGET_MS);
    if (mapping === undefined) return { [block]: 'gate could not check your Slack account in time; submit again.' };
    if (!mapping.ok) return { [block]: clip(`You cannot decide this request: ${mapping.reason}.`) };
    const action: Action = kind === 'deny' ? { type: 'deny', reason: text } : { type: 'ask', question: text };
    try {
      this.deps.service.act(mapping.principal, context.request_id, action, 'slack');
      return undefined;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.deps.log(`slack: ${mapping.principal.name} could not ${kind} ${context.request_id}: ${error.code}`);
      return { [block]: clip(refusal(error)) };
    }
  }

  private async ephemeral(channel: string | undefined, user: string, text: string): Promise<void> {
    if (channel === undefined) {
      this.deps.log(`slack: cannot tell ${user} (no channel): ${text}`);
      return;
    }
    const reply = await this.deps.api.write('chat.postEphemeral', { channel, user, text });
    if (!reply.ok) this.deps.log(`slack: cannot tell ${user} in ${channel}: ${reply.failure.error}`);
  }
}

/** The service's refusal, worded for a person in Slack. */
function refusal(error: ApiError): string {
  switch (error.code) {
    case 'self_approval':
      return `You cannot decide this request: ${error.message}.`;
    case 'not_an_approver':
    case 'agent_cannot_approve':
    case 'forbidden':
      return `You are not an approver of this request: ${error.message}.`;
    case 'already_decided':
    case 'already_voted':
      return `Nothing to do: ${error.message}.`;
    case 'not_found':
      return `gate has no such request (${error.message}).`;
    default:
      return `gate refused: ${error.message}.`;
  }
}

const clip = (text: string): string => (text.length > 300 ? `${text.slice(0, 299)}…` : text);

async function withBudget<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
