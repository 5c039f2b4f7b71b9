/**
 * The subset of Adaptive Cards gate sends to Teams, and the Workflows webhook envelope around it
 * (protocols §2.2). Untrusted text only ever goes into a TextRun: unlike a TextBlock, a TextRun
 * renders no markdown, so a reason like `[approve](https://evil)` stays plain text.
 */

/** Teams renders up to 1.5; 1.4 is what every Teams client shows. */
export const CARD_VERSION = '1.4';
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams refuses a message above ~28 KB ("Request Entity Too Large"). */
export const MAX_MESSAGE_BYTES = 28 * 1024;

export interface TextBlock {
  readonly type: 'TextBlock';
  /** Fixed text only (it renders markdown). */
  readonly text: string;
  readonly wrap: true;
  readonly weight?: 'Bolder';
  readonly size?: 'Medium' | 'Small';
  readonly color?: 'Warning' | 'Good' | 'Attention';
  readonly isSubtle?: boolean;
  readonly spacing?: 'None' | 'Small' | 'Medium';
}

export interface TextRun {
  readonly type: 'TextRun';
  readonly text: string;
  readonly weight?: 'Bolder';
  readonly fontType?: 'Monospace';
}

export interface RichTextBlock {
  readonly type: 'RichTextBlock';
  readonly inlines: readonly TextRun[];
  readonly spacing?: 'None' | 'Small' | 'Medium';
}

/** The only action a card posted by the Workflows bot can carry: a plain link (protocols §2.3). */
export interface OpenUrl {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

export type Element = TextBlock | RichTextBlock;

export interface AdaptiveCard {
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly type: 'AdaptiveCard';
  readonly version: typeof CARD_VERSION;
  readonly msteams: { readonly width: 'Full' };
  readonly body: readonly Element[];
  readonly actions?: readonly OpenUrl[];
}

/** What the "Send webhook alerts to a channel" flow expects: it posts each attachment's card. */
export interface WorkflowMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: typeof CARD_CONTENT_TYPE;
    readonly contentUrl: null;
    readonly content: AdaptiveCard;
  }[];
}

export function envelope(body: readonly Element[], actions: readonly OpenUrl[]): WorkflowMessage {
  const content: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
  return { type: 'message', attachments: [{ contentType: CARD_CONTENT_TYPE, contentUrl: null, content }] };
}

export const run = (text: string, style: Omit<TextRun, 'type' | 'text'> = {}): TextRun => ({ type: 'TextRun', text, ...style });

/** "Label: value" as one line of rich text; the value is untrusted and rendered verbatim. */
export const labelled = (label: string, value: string): RichTextBlock => ({ type: 'RichTextBlock', spacing: 'None', inlines: [run(`${label}: `, { weight: 'Bolder' }), run(value)] });

export const byteSize = (message: WorkflowMessage): number => Buffer.byteLength(JSON.stringify(message), 'utf8');
