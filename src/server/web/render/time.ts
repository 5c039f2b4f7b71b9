import { timeLeft } from '../format.js';
import { html, type Html } from '../html.js';

/** A timestamp as UTC text; the machine-readable value stays in `datetime`. */
export const when = (iso: string): Html => html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC')}</time>`;

/** A countdown the script keeps current; without script it says what it said at render time. */
export const countdown = (iso: string, nowMs: number): Html => html`<time datetime="${iso}" data-countdown>${timeLeft(Date.parse(iso), nowMs)}</time>`;
