import type { ApprovalRequirementWire } from '../../../approval/protocol.js';
import type { Delivery, Destination, Failure, Snapshot } from '../delivery.js';
import { deliveryId, eventType, webhookPayload, type DeliveryKind } from './payload.js';
import type { JsonPoster } from './post.js';
import type { WebhookSettings } from './settings.js';
import { signature } from './signature.js';

/**
 * Generic outgoing webhooks: the announcement (`post`), then every later state (`update`), each a
 * signed JSON POST. Every attempt is signed afresh (new timestamp) but keeps its X-Gate-Delivery,
 * so anything that may have arrived is simply sent again and the receiver drops the duplicate.
 */
export class WebhookDestination implements Destination {
  readonly name = 'webhook';

  constructor(
    private readonly poster: Pick<JsonPoster, 'post'>,
    private readonly settings: WebhookSettings,
    private readonly nowMs: () => number = Date.now,
  ) {}

  targets(requirement: ApprovalRequirementWire): readonly string[] {
    if (requirement.notify !== undefined) return requirement.notify.webhook ?? [];
    return this.settings.defaults;
  }

  async post(target: string, snapshot: Snapshot): Promise<Delivery<string>> {
    const result = await this.send(target, 'post', snapshot);
    return result.ok ? { ok: true, value: target } : result;
  }

  /** Nothing to search: report "not there" and post again, with the same delivery id. */
  find(): Promise<Delivery<string | undefined>> {
    return Promise.resolve({ ok: true, value: undefined });
  }

  update(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    return this.send(ref, 'update', snapshot);
  }

  /** Once per request, before it expires; a retry keeps its delivery id, so it may be repeated safely. */
  remind(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    return this.send(ref, 'remind', snapshot);
  }

  private async send(name: string, kind: DeliveryKind, { request, seq }: Snapshot): Promise<Delivery<void>> {
    const endpoint = this.settings.endpoints.get(name);
    if (endpoint === undefined) return { ok: false, failure: { kind: 'permanent', error: `webhook "${name}" is not configured` } };
    const id = deliveryId(request.id, name, kind, seq);
    const body = JSON.stringify(webhookPayload(eventType(kind, request), id, request));
    const timestamp = Math.floor(this.nowMs() / 1000);
    const headers = {
      'x-gate-signature': signature(endpoint.secret, timestamp, body),
      'x-gate-timestamp': String(timestamp),
      'x-gate-delivery': id,
    };
    const result = await this.poster.post(endpoint.url, body, headers, `webhook "${name}"`);
    return result.ok ? result : { ok: false, failure: retryUncertain(result.failure) };
  }
}

/** Receivers dedupe by X-Gate-Delivery, so what may have arrived is sent again rather than given up. */
const retryUncertain = (failure: Failure): Failure => (failure.kind === 'uncertain' ? { kind: 'retry', error: failure.error } : failure);
