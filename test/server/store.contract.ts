import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/approval/protocol.js';
import { StoreError, type Store } from '../../src/server/store/store.js';
import type { PrincipalRecord } from '../../src/server/types.js';
import { pendingRecord, rendered } from './records.js';

/**
 * The contract every Store backend passes (hono's router contract suite, for storage).
 * `open(file)` opens a store on a file; calling it twice on one file gives two independent
 * connections, which is how "survives restart" and "another process" are tested.
 */
export function runStoreContract(name: string, fresh: () => { open: () => Store; cleanup: () => void }): void {
  describe(`Store contract: ${name}`, () => {
    const withStore = (test: (store: Store, open: () => Store) => void) => () => {
      const { open, cleanup } = fresh();
      const store = open();
      try {
        test(store, open);
      } finally {
        store.close();
        cleanup();
      }
    };
    const human = (store: Store, name: string, groups: string[] = []): PrincipalRecord =>
      store.addPrincipal({ name, kind: 'human', groups, tokenHash: `hash-${name}-${Math.random()}` }, '2030-01-01T00:00:00.000Z');

    it(
      'principals: lookup by token hash, unique active names, revocation by name or id',
      withStore((store) => {
        const alice = store.addPrincipal({ name: 'alice', kind: 'human', groups: ['sre'], tokenHash: 'h1' }, '2030-01-01T00:00:00.000Z');
        expect(alice.id).toMatch(/^prn_/);
        expect(store.principalByTokenHash('h1')).toEqual(alice);
        expect(store.principalByTokenHash('nope')).toBeUndefined();
        expect(() => store.addPrincipal({ name: 'alice', kind: 'agent', groups: [], tokenHash: 'h2' }, 'x')).toThrow(StoreError);
        expect(store.revokePrincipal('alice', '2030-01-02T00:00:00.000Z')?.revoked_at).toBe('2030-01-02T00:00:00.000Z');
        expect(store.principalByTokenHash('h1')).toBeUndefined();
        expect(store.revokePrincipal('alice', 'x')).toBeUndefined();
        // A revoked name can be issued again, as a new principal.
        const again = store.addPrincipal({ name: 'alice', kind: 'human', groups: [], tokenHash: 'h3' }, '2030-01-03T00:00:00.000Z');
        expect(again.id).not.toBe(alice.id);
        expect(store.revokePrincipal(again.id, 'y')?.name).toBe('alice');
        expect(store.listPrincipals().map((p) => [p.name, p.revoked_at !== undefined])).toEqual([
          ['alice', true],
          ['alice', true],
        ]);
      }),
    );

    it(
      'principals by name: only the active one of that exact name',
      withStore((store) => {
        const alice = human(store, 'alice', ['sre']);
        expect(store.principalByName('alice')).toEqual(alice);
        expect(store.principalByName('Alice')).toBeUndefined();
        expect(store.principalByName('bob')).toBeUndefined();
        store.revokePrincipal('alice', '2030-01-02T00:00:00.000Z');
        expect(store.principalByName('alice')).toBeUndefined();
        const again = human(store, 'alice');
        expect(store.principalByName('alice')?.id).toBe(again.id);
      }),
    );

    it(
      'the notification outbox: rows added once, due while they have work, saved as given',
      withStore((store) => {
        const bot = human(store, 'bot');
        store.insertRequest(rendered(pendingRecord('req_o', bot), ['created']));
        store.outbox.add('req_o', 'slack', ['C1', 'C2'], '2030-01-01T00:00:00.000Z');
        const [first] = store.outbox.due(0, 10);
        expect(store.outbox.due(0, 10).map((r) => [r.target, r.state, r.last_seq, r.status])).toEqual([
          ['C1', 'new', 1, 'pending'],
          ['C2', 'new', 1, 'pending'],
        ]);
        store.outbox.save({ ...first!, state: 'posted', ref: '{"ts":"1"}', rendered_seq: 1 });
        // Adding again keeps what was delivered.
        store.outbox.add('req_o', 'slack', ['C1'], '2030-01-01T00:00:01.000Z');
        expect(store.outbox.rows('req_o').find((r) => r.target === 'C1')).toMatchObject({ state: 'posted', ref: '{"ts":"1"}' });
        // Posted and current while pending: nothing to do for C1.
        expect(store.outbox.due(0, 10).map((r) => r.target)).toEqual(['C2']);
        store.outbox.save({ ...store.outbox.rows('req_o')[1]!, next_attempt_ms: 5_000 });
        expect(store.outbox.due(4_999, 10)).toEqual([]);
        expect(store.outbox.nextAttempt(0)).toBe(5_000);
        expect(store.outbox.due(5_000, 10).map((r) => r.target)).toEqual(['C2']);
      }),
    );

    it(
      'a request round-trips with its first events numbered from 1',
      withStore((store) => {
        const bot = human(store, 'bot');
        const record = pendingRecord('req_a', bot);
        const events = store.insertRequest(rendered(record, ['created']));
        expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'created']]);
        expect(store.getRequest('req_a')).toEqual(record);
        expect((JSON.parse(events[0]!.data) as RequestEvent).request.id).toBe('req_a');
        expect(store.getRequest('req_b')).toBeUndefined();
      }),
    );

    it(
      'transact appends votes, questions and answers, with gapless increasing seq',
      withStore((store) => {
        const bot = human(store, 'bot');
        store.insertRequest(rendered(pendingRecord('req_a', bot), ['created']));
        const vote = { approver: 'alice', kind: 'human' as const, groups: ['sre'], channel: 'api', at: '2030-01-01T00:01:00.000Z', comment: 'ok' };
        const r1 = store.transact('req_a', (r) => rendered({ ...r, approvals: [vote], questions: [{ id: 'q_1', by: 'alice', question: 'why?', at: 't' }] }, ['approval', 'question']));
        expect(r1?.events.map((e) => e.seq)).toEqual([2, 3]);
        const r2 = store.transact('req_a', (r) => rendered({ ...r, questions: [{ ...r.questions[0]!, answer: 'because', answered_at: 't2' }] }, ['answer']));
        expect(r2?.events.map((e) => e.seq)).toEqual([4]);
        const r3 = store.transact('req_a', (r) => rendered({ ...r, status: 'denied', decided_at: 't3', denial: { by: 'bob', reason: 'no', at: 't3', by_policy: false } }, ['denied']));
        expect(r3?.record.status).toBe('denied');
        const stored = store.getRequest('req_a')!;
        expect(stored.approvals).toEqual([vote]);
        expect(stored.questions).toEqual([{ id: 'q_1', by: 'alice', question: 'why?', at: 't', answer: 'because', answered_at: 't2' }]);
        expect(stored.denial).toEqual({ by: 'bob', reason: 'no', at: 't3', by_policy: false });
        expect(store.eventsAfter('req_a', 0).map((e) => `${e.seq}:${e.type}`)).toEqual(['1:created', '2:approval', '3:question', '4:answer', '5:denied']);
        expect(store.eventsAfter('req_a', 3).map((e) => e.seq)).toEqual([4, 5]);
      }),
    );

    it(
      'a change that throws writes nothing; undefined changes nothing; unknown ids give undefined',
      withStore((store) => {
        const bot = human(store, 'bot');
        const record = pendingRecord('req_a', bot);
        store.insertRequest(rendered(record, ['created']));
        expect(() => store.transact('req_a', () => {
          throw new Error('refused');
        })).toThrow('refused');
        expect(store.transact('req_a', () => undefined)?.events).toEqual([]);
        expect(store.getRequest('req_a')).toEqual(record);
        expect(store.eventsAfter('req_a', 0)).toHaveLength(1);
        expect(store.transact('req_zzz', () => undefined)).toBeUndefined();
      }),
    );

    it(
      'refuses a second vote by the same approver at the data level',
      withStore((store) => {
        const bot = human(store, 'bot');
        store.insertRequest(rendered(pendingRecord('req_a', bot), ['created']));
        const vote = { approver: 'alice', kind: 'human' as const, groups: [], channel: 'api', at: 't' };
        store.transact('req_a', (r) => rendered({ ...r, approvals: [vote] }, ['approval']));
        expect(() => store.transact('req_a', (r) => rendered({ ...r, approvals: [...r.approvals, { ...vote, approver: 'ALICE' }] }, ['approval']))).toThrow();
        expect(store.getRequest('req_a')!.approvals).toHaveLength(1);
        expect(store.eventsAfter('req_a', 0)).toHaveLength(2);
      }),
    );

    it(
      'finds due and next expiries among pending requests only',
      withStore((store) => {
        const bot = human(store, 'bot');
        store.insertRequest(rendered(pendingRecord('req_late', bot, { expiresAt: '2030-01-01T02:00:00.000Z' }), ['created']));
        store.insertRequest(rendered(pendingRecord('req_soon', bot, { expiresAt: '2030-01-01T01:00:00.000Z' }), ['created']));
        const done = { ...pendingRecord('req_done', bot, { expiresAt: '2030-01-01T00:30:00.000Z' }), status: 'cancelled' as const };
        store.insertRequest(rendered(done, ['created', 'cancelled']));
        expect(store.nextExpiry()).toBe(Date.parse('2030-01-01T01:00:00.000Z'));
        expect(store.duePending(Date.parse('2030-01-01T01:00:00.000Z'))).toEqual(['req_soon']);
        expect(store.duePending(Date.parse('2030-01-01T00:59:59.999Z'))).toEqual([]);
      }),
    );

    it(
      'lists newest first, by status, up to a limit',
      withStore((store) => {
        const bot = human(store, 'bot');
        for (const [id, minute] of [['req_1', '01'], ['req_2', '02'], ['req_3', '03']] as const) {
          store.insertRequest(rendered(pendingRecord(id, bot, { createdAt: `2030-01-01T00:${minute}:00.000Z` }), ['created']));
        }
        store.transact('req_2', (r) => rendered({ ...r, status: 'cancelled', decided_at: 't' }, ['cancelled']));
        expect(store.listRequests({ limit: 10 }).map((r) => r.id)).toEqual(['req_3', 'req_2', 'req_1']);
        expect(store.listRequests({ status: 'pending', limit: 10 }).map((r) => r.id)).toEqual(['req_3', 'req_1']);
        expect(store.listRequests({ limit: 1 }).map((r) => r.id)).toEqual(['req_3']);
      }),
    );

    it(
      'everything survives closing and reopening, and a second connection sees committed state',
      withStore((store, open) => {
        const bot = human(store, 'bot');
        store.insertRequest(rendered(pendingRecord('req_a', bot), ['created']));
        const other = open();
        try {
          other.transact('req_a', (r) => rendered({ ...r, status: 'approved', decided_at: 't' }, ['approved']));
          // The first connection sees the second's commit, and its next seq continues from it.
          expect(store.getRequest('req_a')?.status).toBe('approved');
          expect(store.transact('req_a', (r) => rendered({ ...r, status: 'executing' }, ['executing']))?.events[0]?.seq).toBe(3);
        } finally {
          other.close();
        }
        store.close();
        const reopened = open();
        try {
          expect(reopened.getRequest('req_a')?.status).toBe('executing');
          expect(reopened.eventsAfter('req_a', 0).map((e) => e.seq)).toEqual([1, 2, 3]);
          expect(reopened.principalByTokenHash('nope')).toBeUndefined();
          expect(reopened.listPrincipals().map((p) => p.name)).toEqual(['bot']);
        } finally {
          reopened.close();
        }
      }),
    );

    it(
      'seen: a key is accepted once, across connections (a restart), until it is older than the window',
      withStore((store, open) => {
        expect(store.seen.firstTime('slack:1000:v0=aa', 1000, 700)).toBe(true);
        expect(store.seen.firstTime('slack:1000:v0=aa', 1000, 710)).toBe(false);
        expect(store.seen.firstTime('slack:1000:v0=bb', 1000, 710)).toBe(true);
        const other = open();
        try {
          expect(other.seen.firstTime('slack:1000:v0=aa', 1000, 720)).toBe(false);
          // Past the window it is forgotten (a replay of it is stale by then and refused anyway).
          expect(other.seen.firstTime('slack:1000:v0=aa', 1000, 1001)).toBe(true);
        } finally {
          other.close();
        }
      }),
    );
  });
}
