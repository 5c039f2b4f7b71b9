import type { ApprovalRequest } from '../../../approval/protocol.js';
import { LIMITS, md, plain, type ModalView } from './block-kit.js';
import { clip, codeBlock, commandText, inline } from './text.js';

/**
 * The two modals a click opens (views.open): a reason for a denial, a question for the requester.
 * `private_metadata` carries the request id and where the click came from (for feedback); Slack
 * echoes it back signed, and the service re-checks everything on submission anyway.
 */

export const CALLBACK = { deny: 'gate.deny', ask: 'gate.ask' } as const;
export type ModalKind = keyof typeof CALLBACK;

/** The single input of each modal: block_id / action_id Slack reports its value under. */
export const INPUT = { deny: 'reason', ask: 'question', action: 'value' } as const;
/** The service accepts up to 10,000 characters; Slack's plain_text_input allows at most 3,000. */
export const INPUT_MAX = 3000;

export interface ModalContext {
  readonly request_id: string;
  /** The channel of the message clicked, for ephemeral feedback. */
  readonly channel?: string;
}

const TEXT: Readonly<Record<ModalKind, { title: string; submit: string; label: string; hint: string }>> = {
  deny: { title: 'Deny request', submit: 'Deny', label: 'Reason (sent to the requester verbatim)', hint: 'The command will not run.' },
  ask: { title: 'Ask for info', submit: 'Send', label: 'Your question to the requester', hint: 'The request stays pending until it is decided.' },
};

export function modal(kind: ModalKind, request: ApprovalRequest, context: ModalContext): ModalView {
  const t = TEXT[kind];
  const command = codeBlock(commandText(request.command), 1000);
  return {
    type: 'modal',
    callback_id: CALLBACK[kind],
    private_metadata: JSON.stringify(context),
    title: plain(clip(t.title, LIMITS.viewTitle)),
    submit: plain(clip(t.submit, LIMITS.viewTitle)),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', block_id: 'gate.cmd', text: md(command.text) },
      { type: 'context', block_id: 'gate.who', elements: [md(`\`${inline(request.id)}\` · ${inline(request.requester.name)} (${request.requester.kind}) on ${inline(request.command.host)}`)] },
      {
        type: 'input',
        block_id: INPUT[kind],
        label: plain(t.label),
        hint: plain(t.hint),
        element: { type: 'plain_text_input', action_id: INPUT.action, multiline: true, min_length: 1, max_length: INPUT_MAX },
      },
    ],
  };
}

/** The request and origin a submission refers to; undefined when the metadata is not ours. */
export function parseModalContext(metadata: string): ModalContext | undefined {
  let value: unknown;
  try {
    value = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { request_id, channel } = value as Record<string, unknown>;
  if (typeof request_id !== 'string' || !/^req_[a-z2-7]{1,64}$/.test(request_id)) return undefined;
  return { request_id, ...(typeof channel === 'string' && channel.length <= 100 ? { channel } : {}) };
}
