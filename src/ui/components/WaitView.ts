import type * as InkModule from 'ink';
import type * as ReactModule from 'react';
import { sanitize } from '../../display.js';
import { clockText, type Tone, type WaitViewState } from '../wait-state.js';

export interface WaitViewProps {
  readonly state: WaitViewState;
  /** Epoch ms of this frame (elapsed and remaining time). */
  readonly now: number;
  /** Animation frame counter (the spinner). */
  readonly frame: number;
  /** Keys are read (answers, Ctrl-C): stdin is a terminal. */
  readonly interactive: boolean;
  readonly onAnswer: (questionId: string, text: string) => Promise<void>;
  readonly onCancel: () => void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const COLOR: Readonly<Record<Tone, string | undefined>> = { info: undefined, good: 'green', bad: 'red', warn: 'yellow' };
const ICON: Readonly<Record<Tone, string>> = { info: '•', good: '✔', bad: '✘', warn: '!' };
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * The live wait view. React and Ink are handed in (they are loaded at run time, never bundled, so
 * ink and this component share one React). Props in, callbacks out, no I/O: the caller owns the
 * request, the clock and the network.
 */
export function createWaitView(React: typeof ReactModule, ink: typeof InkModule): (props: WaitViewProps) => ReactModule.ReactElement {
  const h = React.createElement;
  const { Box, Text, useInput } = ink;

  return function WaitView(props: WaitViewProps): ReactModule.ReactElement {
    const [draft, setDraft] = React.useState('');
    const [sending, setSending] = React.useState(false);
    const [sendError, setSendError] = React.useState<string | undefined>(undefined);
    const { state, now, interactive } = props;
    const { request, final } = state;
    const question = final === undefined ? state.openQuestion : undefined;

    useInput(
      (input, key) => {
        if (key.ctrl && input === 'c') return props.onCancel();
        if (question === undefined || sending) return;
        if (key.return) {
          const text = draft.trim();
          if (text === '') return;
          setSending(true);
          setSendError(undefined);
          props.onAnswer(question.id, text).then(
            () => {
              setDraft('');
              setSending(false);
            },
            (error: unknown) => {
              setSendError(error instanceof Error ? error.message : String(error));
              setSending(false);
            },
          );
          return;
        }
        if (key.backspace || key.delete) return setDraft((d) => d.slice(0, -1));
        if (key.ctrl || key.meta || key.escape || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return;
        setDraft((d) => d + input.replace(CONTROL, ''));
      },
      { isActive: interactive && final === undefined },
    );

    const lines: ReactModule.ReactNode[] = [];
    const line = (key: string, text: string, style: Record<string, unknown> = {}): void => {
      lines.push(h(Text, { key, ...style }, text));
    };
    if (final !== undefined) {
      line('head', `${ICON[final.tone]} ${sanitize(final.text)}`, { color: COLOR[final.tone], bold: true });
    } else {
      lines.push(
        h(
          Text,
          { key: 'head' },
          h(Text, { color: state.reconnecting ? 'yellow' : 'cyan' }, SPINNER[props.frame % SPINNER.length]),
          ' waiting for approval ',
          h(Text, { bold: true }, request ? sanitize(request.id) : '(submitting)'),
        ),
      );
    }
    if (request !== undefined) {
      line('url', `  ${sanitize(request.url)}`, { dimColor: true });
      line('needs', `  needs: ${sanitize(request.progress)}`);
      if (final === undefined) {
        const remaining = Date.parse(request.expires_at) - now;
        line('time', `  waiting ${clockText(now - state.startedAt)} · expires in ${clockText(remaining)}`, { dimColor: true });
      }
    }
    state.log.forEach((entry, i) => line(`log${i}`, `  ${ICON[entry.tone]} ${sanitize(entry.text)}`, { color: COLOR[entry.tone] }));
    if (question !== undefined) {
      if (interactive) {
        lines.push(
          h(Text, { key: 'answer' }, h(Text, { color: 'yellow' }, `  answer ${sanitize(question.by)}> `), draft, sending ? '  (sending…)' : '█'),
        );
        if (sendError !== undefined) line('error', `  could not send the answer: ${sanitize(sendError)}`, { color: 'red' });
      } else {
        line('answer', '  (cannot answer here: stdin is not a terminal)', { dimColor: true });
      }
    }
    if (final === undefined && interactive) {
      line('keys', question !== undefined ? '  Enter sends the answer · Ctrl-C cancels the request' : '  Ctrl-C cancels the request', { dimColor: true });
    }
    return h(Box, { flexDirection: 'column' }, ...lines);
  };
}
