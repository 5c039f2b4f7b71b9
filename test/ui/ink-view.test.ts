import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WaitReporter } from '../../src/ui/updates.js';
import { AT, FakeTtyIn, FakeTtyOut, pendingRequest } from './fixtures.js';

// Ink renders only the last frame when it believes it runs in CI; it decides when first loaded.
const saved = { ...process.env };
beforeAll(() => {
  for (const name of Object.keys(process.env)) if (name === 'CI' || name.startsWith('CI_') || name === 'CONTINUOUS_INTEGRATION') delete process.env[name];
});
afterAll(() => {
  Object.assign(process.env, saved);
});

const strip = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mount(stdin: FakeTtyIn) {
  const { mountInkView } = await import('../../src/ui/ink-view.js');
  const out = new FakeTtyOut();
  const answers: [string, string][] = [];
  let cancels = 0;
  const view: WaitReporter = await mountInkView({
    stderr: out.asStream(),
    stdin: stdin.asStream(),
    controls: {
      answer: async (id, text) => void answers.push([id, text]),
      cancel: () => void cancels++,
    },
    now: () => Date.parse(AT),
    tickMs: 0,
    debug: true,
  });
  // The last frame with text (unmounting writes only cursor control).
  const frame = (): string => [...out.writes].reverse().map(strip).find((w) => w.trim() !== '') ?? '';
  return { out, view, answers, cancels: () => cancels, frame };
}

describe('the live terminal view (Ink)', () => {
  it('shows the request, progress, times and a question; typed answers and Ctrl-C go to the controls', async () => {
    const stdin = new FakeTtyIn();
    const ui = await mount(stdin);
    const request = pendingRequest();
    ui.view.update({ type: 'created', request });
    await tick();
    expect(ui.frame()).toContain('waiting for approval req_abc123');
    expect(ui.frame()).toContain('http://127.0.0.1:8787/requests/req_abc123');
    expect(ui.frame()).toContain('needs: 0 of 2 approvals from dba');
    expect(ui.frame()).toContain('expires in 14:00');
    expect(ui.frame()).toContain('Ctrl-C cancels the request');
    expect(stdin.isRaw).toBe(true);

    const approved = pendingRequest({
      progress: '1 of 2 approvals from dba',
      approvals: [{ approver: 'alice', kind: 'human', groups: ['dba'], channel: 'cli', at: AT }],
    });
    ui.view.update({ type: 'approval', request: approved, approval: approved.approvals[0]! });
    const asked = { ...approved, questions: [{ id: 'q_7', by: 'bob', question: 'Which table, exactly?', at: AT }] };
    ui.view.update({ type: 'question', request: asked, question: asked.questions[0]! });
    await tick();
    expect(ui.frame()).toContain('needs: 1 of 2 approvals from dba');
    expect(ui.frame()).toContain('✔ approval from alice (1 of 2 approvals from dba)');
    expect(ui.frame()).toContain('! question from bob: Which table, exactly?');
    expect(ui.frame()).toContain('answer bob>');

    stdin.type('users');
    await tick();
    expect(ui.frame()).toContain('answer bob> users');
    stdin.type('\r');
    await tick();
    expect(ui.answers).toEqual([['q_7', 'users']]);

    stdin.type('\u0003');
    await tick();
    expect(ui.cancels()).toBe(1);

    ui.view.update({ type: 'denied', request: { ...asked, status: 'denied', denial: { by: 'bob', reason: 'No.', at: AT, by_policy: false } } });
    await ui.view.close();
    expect(ui.frame()).toContain('✘ denied by bob: No.');
    expect(stdin.isRaw).toBe(false);
    expect(stdin.paused).toBe(true);
  });

  it('without a terminal on stdin: no raw mode, and it says a question cannot be answered here', async () => {
    const stdin = new FakeTtyIn(false);
    const ui = await mount(stdin);
    const request = pendingRequest({ questions: [{ id: 'q_1', by: 'bob', question: 'Why?', at: AT }] });
    ui.view.update({ type: 'created', request });
    await tick();
    expect(ui.frame()).toContain('cannot answer here');
    expect(ui.frame()).not.toContain('Ctrl-C');
    expect(stdin.isRaw).toBe(false);
    await ui.view.close();
  });
});
