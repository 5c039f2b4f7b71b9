import type { ApprovalRequirementWire } from '../../../approval/protocol.js';
import type { Delivery, Destination, Failure, Snapshot } from '../delivery.js';
import type { JsonPoster } from '../webhook/post.js';
import { outcomeCard, reminderCard, requestCard } from './card.js';
import type { WorkflowMessage } from './adaptive.js';
import type { TeamsSettings } from './settings.js';

/**
 * Microsoft Teams through Workflows webhooks: one card per request and workflow, and one
 * follow-up card with the outcome (a posted card cannot be edited or found again, so there is no
 * `update`). The target is the workflow's name; its URL is looked up here and never leaves.
 *
 * A 2xx only means Teams accepted the flow run, not that the card showed. 5xx and timeouts may
 * have posted the card, and nothing can be searched to find out: gate posts again. A duplicate
 * approval card costs a glance; a lost one leaves a command waiting until it expires.
 */
export class TeamsDestination implements Destination {
  readonly name = 'teams';

  constructor(
    private readonly poster: Pick<JsonPoster, 'post'>,
    private readonly settings: TeamsSettings,
    private readonly log: (line: string) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  targets(requirement: ApprovalRequirementWire): readonly string[] {
    // A rule that names any destination says exactly where it goes; the defaults are for the rest.
    if (requirement.notify !== undefined) return requirement.notify.teams ?? [];
    return this.settings.defaults;
  }

  async post(target: string, snapshot: Snapshot): Promise<Delivery<string>> {
    const result = await this.send(target, requestCard(snapshot.request).message);
    // The reference is the workflow's name: all a follow-up needs.
    return result.ok ? { ok: true, value: target } : result;
  }

  /** Teams cannot be searched: an interrupted post is reported as not there, so it is posted again. */
  find(target: string, requestId: string): Promise<Delivery<string | undefined>> {
    this.log(`notify: teams ${target} for ${requestId}: a post was interrupted and Teams cannot be searched; posting again (a duplicate card is possible)`);
    return Promise.resolve({ ok: true, value: undefined });
  }

  reply(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    return this.send(ref, outcomeCard(snapshot.request));
  }

  /** A reminder that may have arrived is not sent again (the contract of `remind`): the card itself is still there. */
  async remind(ref: string, snapshot: Snapshot): Promise<Delivery<void>> {
    return this.send(ref, reminderCard(snapshot.request, this.nowMs()), false);
  }

  private async send(name: string, message: WorkflowMessage, again = true): Promise<Delivery<void>> {
    const url = this.settings.workflows.get(name);
    if (url === undefined) return { ok: false, failure: { kind: 'permanent', error: `workflow "${name}" is not configured` } };
    const result = await this.poster.post(url, JSON.stringify(message), {}, `workflow "${name}"`);
    return result.ok || !again ? result : { ok: false, failure: retryUncertain(result.failure) };
  }
}

/** The dispatcher would give an uncertain post up (it may have arrived); for a card we prefer a duplicate. */
const retryUncertain = (failure: Failure): Failure => (failure.kind === 'uncertain' ? { kind: 'retry', error: `${failure.error} (may have arrived; sending again)` } : failure);
