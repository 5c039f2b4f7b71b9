import type { ApprovalRequest, Question } from '../approval/protocol.js';
import { describe } from './describe.js';
import type { WaitUpdate } from './updates.js';

export type Tone = 'info' | 'good' | 'bad' | 'warn';

/** What the live view shows; built from updates by `reduceWait`, rendered by WaitView. */
export interface WaitViewState {
  readonly request: ApprovalRequest | undefined;
  readonly startedAt: number;
  /** Notable moments so far (approvals, questions, answers, connection trouble), oldest first. */
  readonly log: readonly { readonly text: string; readonly tone: Tone }[];
  /** The newest question nobody answered yet: typing answers it. */
  readonly openQuestion: Question | undefined;
  readonly reconnecting: boolean;
  /** Set once the wait is over. */
  readonly final: { readonly text: string; readonly tone: Tone } | undefined;
}

export const initialWaitState = (startedAt: number): WaitViewState => ({
  request: undefined,
  startedAt,
  log: [],
  openQuestion: undefined,
  reconnecting: false,
  final: undefined,
});

const MAX_LOG = 8;

export function reduceWait(state: WaitViewState, update: WaitUpdate): WaitViewState {
  const request = update.request ?? state.request;
  const text = describe(update).message;
  const next = { ...state, request, openQuestion: openQuestion(request), reconnecting: false };
  const log = (tone: Tone): WaitViewState => ({ ...next, log: [...state.log, { text, tone }].slice(-MAX_LOG) });
  switch (update.type) {
    case 'created':
      return next;
    case 'approval':
      return log('good');
    case 'question':
      return log('warn');
    case 'answer':
      return log('info');
    case 'reconnecting':
      return { ...log('warn'), reconnecting: true };
    case 'reconnected':
      return log('info');
    case 'approved':
      return { ...next, final: { text, tone: 'good' } };
    case 'executing':
      return { ...next, final: { text: 'approved and verified: running the command', tone: 'good' } };
    case 'denied':
    case 'cancelled':
      return { ...next, openQuestion: undefined, final: { text, tone: 'bad' } };
    case 'expired':
      return { ...next, openQuestion: undefined, final: { text, tone: 'warn' } };
    case 'error':
      return { ...next, openQuestion: undefined, final: { text: `failed: ${text}`, tone: 'bad' } };
  }
}

function openQuestion(request: ApprovalRequest | undefined): Question | undefined {
  if (request === undefined || request.status !== 'pending') return undefined;
  return request.questions.filter((q) => q.answer === undefined).at(-1);
}

/** `1:05`, `12:00:09`: for elapsed and remaining times. */
export function clockText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
