import { sanitize } from '../display.js';
import { describe } from './describe.js';
import type { WaitReporter, WaitUpdate } from './updates.js';

/** `2026-11-21T06:30:00Z`: UTC to the second. */
export const timestamp = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Not a terminal: one timestamped line per change on stderr, never a spinner. The final
 * denied/expired/cancelled verdict and errors are left to the command path, which says them once.
 */
export function plainReporter(write: (text: string) => void, clock: () => Date = () => new Date()): WaitReporter {
  return {
    update(update: WaitUpdate) {
      if (update.type === 'denied' || update.type === 'expired' || update.type === 'cancelled' || update.type === 'error') return;
      write(`${timestamp(clock())} gate: ${sanitize(describe(update).message)}\n`);
    },
    close: async () => {},
  };
}

/** --json: one JSON object per line per update, for agents; field names are snake_case like the wire. */
export function jsonReporter(write: (text: string) => void, clock: () => Date = () => new Date()): WaitReporter {
  return {
    update(update: WaitUpdate) {
      const { message, fields } = describe(update);
      const r = update.request;
      const line = {
        event: update.type,
        ...(r !== undefined ? { request_id: r.id, status: r.status, progress: r.progress, url: r.url } : {}),
        ...fields,
        message,
        at: timestamp(clock()),
      };
      write(`${JSON.stringify(line)}\n`);
    },
    close: async () => {},
  };
}
