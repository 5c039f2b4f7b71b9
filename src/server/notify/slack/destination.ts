import type { ApprovalRequirementWire } from '../../../approval/protocol.js';
import { samePerson } from '../../approvers.js';
import type { Delivery, Destination, Snapshot } from '../delivery.js';
import type { SlackApi, SlackReply } from './api.js';
import { outcomeReply, requestMessage } from './blocks.js';
import { reminderText } from './reminder.js';
import type { SlackSettings } from './settings.js';

/** Carried in every message's metadata, so an uncertain post can be found again. */
export const EVENT_TYPE = 'gate_approval_request';

/** Where a posted message is: what chat.update and thread replies need. */
export interface MessageRef {
  readonly channel: string;
  readonly ts: string;
}

/**
 * Slack as a notification destination: one Block Kit message per request and channel
 * (chat.postMessage), edited in place as the request moves (chat.update), and one reply in its
 * thread with the outcome, mentioning the requester when the config maps them to a Slack user.
 */
export class SlackDestination implements Destination {
  readonly name = 'slack';

  constructor(
    private readonly api: Pick<SlackApi, 'write' | 'read'>,
    private readonly settings: Pick<SlackSettings, 'defaultChannels' | 'users'>,
  ) {}

  targets(requirement: ApprovalRequirementWire): readonly string[] {
    // A rule that names any destination says exactly where it goes; the defaults are for the rest.
    if (requirement.notify !== undefined) return requirement.notify.slack ?? [];
    return this.settings.defaultChannels;
  }

  async post(target: string, snapshot: Snapshot): Promise<Delivery<string>> {
    const message = requestMessage(snapshot.request, snapshot.seq);
    const reply = await this.api.write('chat.postMessage', {
      channel: target,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: EVENT_TYPE, event_payload: { request_id: snapshot.request.id } },
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!reply.ok) return reply;
    const { channel, ts } = reply.body;
    // Slack said ok but without a message id: it was posted, yet cannot be edited. Find it instead.
    if (typeof channel !== 'string' || typeof ts !== 'string') return { ok: false, failure: { kind: 'uncertain', error: 'chat.postMessage: reply without channel or ts' } };
    return { ok: true, value: JSON.stringify({ channel, ts } satisfies MessageRef) };
  }

  async find(target: string, requestId: string, sinceMs: number): Promise<Delivery<string | undefined>> {
    // conversations.history takes channel ids only; a name cannot be searched.
    if (!/^[CGD][A-Z0-9]{2,}$/.test(target)) return { ok: false, failure: { kind: 'permanent', error: `cannot search channel "${target}" by name` } };
    const reply = await this.api.read('conversations.history', {
      channel: target,
      oldest: (Math.floor(sinceMs / 1000) - 60).toString(),
      limit: '200',
      include_all_metadata: 'true',
    });
    if (!reply.ok) return reply;
    const messages = Array.isArray(reply.body.messages) ? (reply.body.messages as unknown[]) : [];
    for (const m of messages) {
      const msg = m as { ts?: unknown; metadata?: { event_type?: unknown; event_payload?: { request_id?: unknown } } };
      if (msg.metadata?.event_type === EVENT_TYPE && msg.metadata.event_payload?.request_id === requestId && typeof msg.ts === 'string') {
        return { ok: true, value: JSON.stringify({ channel: target, ts: msg.ts } satisfies MessageRef) };
      }
    }
    return { ok: true, value: undefined };
  }

  async update(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    const { channel, ts } = JSON.parse(ref) as MessageRef;
    const message = requestMessage(snapshot.request, snapshot.seq);
    return done(await this.api.write('chat.update', { channel, ts, text: message.text, blocks: message.blocks }));
  }

  async reply(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    const { channel, ts } = JSON.parse(ref) as MessageRef;
    const r = snapshot.request;
    const people = [r.requester.name, ...(r.context.on_behalf_of !== undefined ? [r.context.on_behalf_of] : [])];
    const mentions = people.flatMap((name) => this.slackUserOf(name)).map((id) => `<@${id}>`);
    const text = outcomeReply(r, mentions.length > 0 ? [...new Set(mentions)].join(' ') : undefined);
    return done(await this.api.write('chat.postMessage', { channel, thread_ts: ts, text, unfurl_links: false, unfurl_media: false }));
  }

  /** A thread reply under the request's message; `link_names: false` so nothing in it pings anyone. */
  async remind(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    const { channel, ts } = JSON.parse(ref) as MessageRef;
    const text = reminderText(snapshot.request, Date.now());
    return done(await this.api.write('chat.postMessage', { channel, thread_ts: ts, text, link_names: false, unfurl_links: false, unfurl_media: false }));
  }

  /** The Slack user ids the config maps to this principal name. */
  private slackUserOf(name: string): string[] {
    return [...this.settings.users].filter(([, principal]) => samePerson(principal, name)).map(([key]) => key.split('/')[1]!);
  }
}

const done = (reply: SlackReply): Delivery<void> => (reply.ok ? { ok: true, value: undefined } : reply);
