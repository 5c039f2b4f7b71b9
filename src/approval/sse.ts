/** One dispatched server-sent event (WHATWG HTML, "Parsing an event stream"). */
export interface SseMessage {
  /** The `event:` field; 'message' when absent. */
  readonly event: string;
  readonly data: string;
  /** The last event id after this message (sticky across messages, as the spec says). */
  readonly lastEventId: string | undefined;
}

/**
 * Incremental SSE parser: feed it text as it arrives, in chunks of any size (a line or a CRLF may
 * be split across chunks), and it returns the messages completed so far. Comment lines (`:` ping)
 * are ignored, a message is dispatched at a blank line, and a trailing partial message is never
 * dispatched (the spec discards it when the stream ends).
 */
export class SseParser {
  private buffer = '';
  private started = false;
  private skipLf = false;
  private data: string[] = [];
  private event = '';
  private hasData = false;
  lastEventId: string | undefined;
  /** The server's reconnection delay (`retry:` field), in ms, once it sent one. */
  retryMs: number | undefined;

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  push(text: string): SseMessage[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLf = false;
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const cr = this.buffer.indexOf('\r');
      const lf = this.buffer.indexOf('\n');
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < this.buffer.length) next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
        else {
          next = cr + 1;
          this.skipLf = true; // a CR at the end of a chunk: swallow an LF that starts the next one
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(next);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message = this.hasData
      ? { event: this.event || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId }
      : undefined;
    this.data = [];
    this.hasData = false;
    this.event = '';
    return message;
  }
}
