import type { ApprovalRequest, ApprovalRequirementWire, RequestEvent } from '../../approval/protocol.js';
import { escalationActive } from '../escalation/escalation.js';
import { reminderAt } from '../reminders/due.js';
import { REMIND_SUFFIX, reminderDestination, reminderName } from '../reminders/destination.js';
import type { OpenRow, Outbox } from '../store/outbox.js';
import type { StoredEvent } from '../store/store.js';
import type { Delivery, Destination, Snapshot } from './delivery.js';
import type { Notifier } from './notifier.js';
import { afterStep, beforeSend, DEFAULT_RETRY, nextStep, type RetryPolicy } from './plan.js';

export interface DispatcherDeps {
  readonly outbox: Outbox;
  readonly destinations: readonly Destination[];
  /** The request as of its latest stored event. */
  readonly snapshot: (requestId: string) => Snapshot | undefined;
  /** Requests that may still need a message after a restart: id and requirement of each pending one. */
  readonly pending: () => readonly { readonly id: string; readonly requirement: ApprovalRequirementWire }[];
  readonly log: (line: string) => void;
  readonly retry?: RetryPolicy;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Rows worked per pass; a pass ends early when there is nothing more due. */
const BATCH = 25;

/**
 * Delivers the outbox, one row at a time, in the background: posts new requests to every target,
 * edits the message as the request moves, posts the outcome, retries with backoff (or Slack's
 * Retry-After, which then holds back the whole destination). Every step is saved before the next,
 * so a restart resumes exactly where it stopped (see plan.ts and store/outbox.ts).
 */
export class Dispatcher implements Notifier {
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly byName: Map<string, Destination>;
  private readonly pausedUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];
  /** The instant the last pass asked the outbox what was due. */
  private lastPassAt = 0;

  constructor(private readonly deps: DispatcherDeps) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.byName = new Map(deps.destinations.map((d) => [d.name, d]));
    // Each destination that can remind gets a companion outbox destination for its reminders.
    for (const d of deps.destinations) {
      if (d.remind !== undefined) this.byName.set(reminderName(d.name), reminderDestination(d.name, d.remind.bind(d), (id) => deps.outbox.rows(id)));
    }
  }

  committed(events: readonly StoredEvent[]): void {
    if (this.stopped) return;
    try {
      for (const event of events) {
        if (event.type !== 'created' && event.type !== 'reminded' && event.type !== 'escalated') continue;
        const { request } = JSON.parse(event.data) as RequestEvent;
        // Denied by policy at once: nobody is asked, so nobody is told.
        if (request.status !== 'pending') continue;
        if (event.type === 'created') this.enqueue(request.id, request.requirement, event.at);
        if (event.type === 'reminded') this.enqueueReminders(request.id, event.at);
        if (event.type === 'escalated') this.enqueueEscalation(request, event.at);
      }
    } catch (error) {
      this.deps.log(`notify: cannot queue ${events[0]?.request_id ?? 'an event'}: ${(error as Error).message}`);
    }
    this.wake();
  }

  start(): void {
    this.stopped = false;
    // A crash between a request's commit and its outbox rows loses no message: pending requests
    // get their rows now (existing rows are kept as they are).
    try {
      const at = new Date(this.now()).toISOString();
      for (const { id, requirement } of this.deps.pending()) {
        this.enqueue(id, requirement, at);
        // Likewise a reminder or escalation whose event committed just before a crash (rows are never duplicated).
        const request = this.deps.snapshot(id)?.request;
        if (request === undefined) continue;
        if (escalationActive(request, new Date(this.now()))) this.enqueueEscalation(request, at);
        if ((reminderAt(request) ?? Infinity) <= this.now()) this.enqueueReminders(id, at);
      }
    } catch (error) {
      this.deps.log(`notify: cannot resume: ${(error as Error).message}`);
    }
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.releaseWaiters();
  }

  /** Resolves once nothing is due right now (for tests and shutdown): work under backoff does not count. */
  whenIdle(): Promise<void> {
    if (this.stopped || (this.running === undefined && !this.hasDue())) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.wake();
    return idle;
  }

  private releaseWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private enqueue(id: string, requirement: ApprovalRequirementWire, at: string): void {
    for (const destination of this.deps.destinations) {
      const targets = destination.targets(requirement);
      if (targets.length > 0) this.deps.outbox.add(id, destination.name, targets, at);
    }
  }

  /** A reminder goes to every target the request was announced at, through destinations that can remind. */
  private enqueueReminders(id: string, at: string): void {
    const announced = this.deps.outbox.rows(id);
    for (const d of this.deps.destinations) {
      if (d.remind === undefined) continue;
      const targets = announced.filter((r) => r.destination === d.name).map((r) => r.target);
      if (targets.length > 0) this.deps.outbox.add(id, reminderName(d.name), targets, at);
    }
  }

  /** An escalation is announced where its own `notify` says; a target that already has the message keeps it (rows are unique). */
  private enqueueEscalation(request: ApprovalRequest, at: string): void {
    const notify = request.requirement.escalate?.notify;
    if (notify === undefined) return;
    for (const d of this.deps.destinations) {
      const targets = d.targets({ ...request.requirement, notify });
      if (targets.length > 0) this.deps.outbox.add(request.id, d.name, targets, at);
    }
  }

  private hasDue(): boolean {
    return this.deps.outbox.due(this.now(), BATCH).some((row) => this.stepOf(row) !== 'idle');
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.loop()
      // The database went away (shutdown) or a bug: log it; an unhandled rejection would end the server.
      .catch((error: unknown) => this.deps.log(`notify: delivery pass failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) return this.wake();
        this.schedule();
        this.releaseWaiters();
      });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      this.lastPassAt = this.now();
      const rows = this.deps.outbox.due(this.lastPassAt, BATCH);
      let worked = 0;
      for (const row of rows) {
        if (this.stopped) return;
        if (await this.work(row)) worked += 1;
      }
      // A step often makes the next one due (post, then update, then reply): look again until a
      // pass finds nothing to do. Every step moves its row on or pushes it into the future.
      if (worked > 0) this.again = true;
    } while (this.again && !this.stopped);
  }

  private schedule(): void {
    if (this.stopped) return;
    let next: number | undefined;
    try {
      // Rows the last pass did not see as due are exactly those after the instant it looked at:
      // asking "after now" instead would miss one that fell due in between.
      next = this.deps.outbox.nextAttempt(this.lastPassAt);
    } catch (error) {
      this.deps.log(`notify: cannot schedule the next attempt: ${(error as Error).message}`);
      return;
    }
    if (next === undefined) return;
    // +1: a timer may fire a millisecond early, before the row is due.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, Math.max(0, next - this.now()) + 1);
    this.timer.unref();
  }

  private stepOf(row: OpenRow): ReturnType<typeof nextStep> {
    const d = this.byName.get(row.destination);
    return d === undefined ? 'idle' : nextStep(row, { update: d.update !== undefined, reply: d.reply !== undefined, find: d.find !== undefined });
  }

  /** One step of one row; true if it did (or tried) something. */
  private async work(row: OpenRow): Promise<boolean> {
    const destination = this.byName.get(row.destination);
    const step = this.stepOf(row);
    if (destination === undefined || step === 'idle') return false;
    const { outbox, log } = this.deps;
    try {
      const paused = this.pausedUntil.get(destination.name) ?? 0;
      if (paused > this.now()) {
        outbox.save({ ...row, next_attempt_ms: paused });
        return true;
      }
      if (step === 'finish') {
        outbox.save({ ...row, done: true });
        return true;
      }
      if (step === 'reply-lost') {
        outbox.save({ ...row, reply: 'failed' });
        log(`notify: ${row.destination} ${row.target} for ${row.request_id}: the outcome reply was interrupted and may have arrived; not repeated`);
        return true;
      }
      const snapshot = this.deps.snapshot(row.request_id);
      if (snapshot === undefined) {
        outbox.save({ ...row, state: 'failed', done: true, last_error: 'request not found' });
        return true;
      }
      let current: OpenRow = row;
      let result: Delivery<string | undefined | void>;
      switch (step) {
        case 'post':
          current = { ...row, ...beforeSend(row, 'post', this.now()) };
          outbox.save(current);
          result = await destination.post(row.target, snapshot, this.now());
          break;
        case 'find':
          // A destination that cannot be searched gives an interrupted post up rather than risk a second one.
          result =
            destination.find === undefined
              ? { ok: false, failure: { kind: 'permanent', error: 'cannot look for an interrupted post' } }
              : await destination.find(row.target, row.request_id, row.posting_since_ms ?? this.now());
          break;
        case 'update':
          result = await destination.update!(row.ref!, snapshot);
          break;
        case 'reply':
          current = { ...row, ...beforeSend(row, 'reply', this.now()) };
          outbox.save(current);
          result = await destination.reply!(row.ref!, snapshot);
          break;
      }
      if (!result.ok && result.failure.kind === 'retry' && result.failure.retryAfterMs !== undefined) {
        this.pausedUntil.set(destination.name, this.now() + result.failure.retryAfterMs);
      }
      const outcome = afterStep(current, step, result, snapshot.seq, { nowMs: this.now(), random: this.random }, this.retry);
      // A reminder is one message: once posted, its row has nothing more to do.
      const closed = row.destination.endsWith(REMIND_SUFFIX) && outcome.row.state === 'posted';
      outbox.save(closed ? { ...outcome.row, done: true } : outcome.row);
      if (outcome.log !== undefined) log(`notify: ${outcome.log}`);
      else if (!result.ok) log(`notify: ${row.destination} ${row.target} for ${row.request_id}: ${step} failed (${result.failure.error}); will retry`);
    } catch (error) {
      // A bug or a database error must not spin: the row waits, the next rows go on.
      log(`notify: ${row.destination} ${row.target} for ${row.request_id}: ${step}: ${(error as Error).message}`);
      try {
        outbox.save({ ...row, attempts: row.attempts + 1, next_attempt_ms: this.now() + 60_000, last_error: 'internal' });
      } catch {
        // The database is gone (shutting down); the row is retried on the next start.
      }
    }
    return true;
  }
}

