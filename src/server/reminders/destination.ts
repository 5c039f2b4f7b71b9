import type { OutboxRow } from '../store/outbox.js';
import type { Delivery, Destination, Snapshot } from '../notify/delivery.js';

/**
 * A destination's reminders as an outbox destination of their own (`slack.remind`, one row per
 * request and target), so that the outbox's guarantees hold for them too: durable across
 * restarts, retried on 429, and never sent twice (an interrupted one is not repeated: there is
 * no `find`). The row is closed as soon as the reminder is posted.
 */
export const REMIND_SUFFIX = '.remind';

export const reminderName = (destination: string): string => `${destination}${REMIND_SUFFIX}`;

export function reminderDestination(main: string, remind: NonNullable<Destination['remind']>, rows: (requestId: string) => readonly OutboxRow[]): Destination {
  return {
    name: reminderName(main),
    // Reminders go where the request was announced; the dispatcher adds their rows from those.
    targets: () => [],
    post: async (target: string, snapshot: Snapshot): Promise<Delivery<string>> => {
      if (snapshot.request.status !== 'pending') return { ok: false, failure: { kind: 'permanent', error: `request is ${snapshot.request.status}; no reminder` } };
      const message = rows(snapshot.request.id).find((r) => r.destination === main && r.target === target);
      if (message === undefined || message.state === 'failed') return { ok: false, failure: { kind: 'permanent', error: 'the request was never posted there' } };
      // The announcement is still on its way: wait for it, the reminder answers it.
      if (message.ref === undefined) return { ok: false, failure: { kind: 'retry', error: 'the request is not posted there yet' } };
      const sent = await remind(message.ref, snapshot);
      return sent.ok ? { ok: true, value: message.ref } : sent;
    },
  };
}
