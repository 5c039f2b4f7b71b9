/**
 * The Block Kit subset gate sends (https://docs.slack.dev/reference/block-kit), and the limits
 * Slack enforces on it (protocols.md §1.3). Builders cut text to these limits; the fake Slack in
 * the tests rejects anything over them, as Slack does with `invalid_blocks`.
 */
export const LIMITS = {
  blocksPerMessage: 50,
  blockId: 255,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  viewTitle: 24,
  privateMetadata: 3000,
  /** chat.postMessage truncates `text` past 40,000; Slack advises 4,000. */
  messageText: 4000,
} as const;

export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}
export interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}
export type TextObject = PlainText | Mrkdwn;

export interface ConfirmDialog {
  readonly title: PlainText;
  readonly text: TextObject;
  readonly confirm: PlainText;
  readonly deny: PlainText;
}

export interface Button {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: PlainText;
  readonly value?: string;
  readonly url?: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: ConfirmDialog;
}

export interface PlainTextInput {
  readonly type: 'plain_text_input';
  readonly action_id: string;
  readonly multiline?: boolean;
  readonly min_length?: number;
  readonly max_length?: number;
  readonly placeholder?: PlainText;
}

export type Block =
  | { readonly type: 'header'; readonly block_id: string; readonly text: PlainText }
  | { readonly type: 'section'; readonly block_id: string; readonly text?: TextObject; readonly fields?: readonly TextObject[] }
  | { readonly type: 'context'; readonly block_id: string; readonly elements: readonly TextObject[] }
  | { readonly type: 'actions'; readonly block_id: string; readonly elements: readonly Button[] }
  | { readonly type: 'divider'; readonly block_id: string }
  | { readonly type: 'input'; readonly block_id: string; readonly label: PlainText; readonly element: PlainTextInput; readonly hint?: PlainText };

export interface ModalView {
  readonly type: 'modal';
  readonly callback_id: string;
  readonly private_metadata: string;
  readonly title: PlainText;
  readonly submit: PlainText;
  readonly close: PlainText;
  readonly blocks: readonly Block[];
}

export const plain = (text: string): PlainText => ({ type: 'plain_text', text, emoji: true });
export const md = (text: string): Mrkdwn => ({ type: 'mrkdwn', text });
