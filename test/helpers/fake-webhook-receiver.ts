import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A webhook receiver for tests, on 127.0.0.1, that checks every delivery exactly as
 * docs/webhooks.md tells receivers to (written from the docs, not from gate's signer):
 * X-Gate-Timestamp within 5 minutes, X-Gate-Signature == "v1=" + hex HMAC-SHA256(secret,
 * timestamp + "." + raw body) compared in constant time, then dedupe by X-Gate-Delivery.
 */

export interface ReceivedDelivery {
  readonly delivery: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly raw: string;
  readonly body: { type: string; id: string; at: string; request: { id: string; status: string } & Record<string, unknown> };
  /** A delivery id seen before (a retry of something that had arrived). */
  readonly duplicate: boolean;
}

/** What the next delivery gets instead of 200. */
export type ReceiverFault = { readonly status: number; readonly retryAfterSeconds?: number } | { readonly status: 'lost-reply' };

/** The check the docs describe; exported so tests can run it on a tampered copy. */
export function verifyDelivery(secret: string, headers: { signature?: string; timestamp?: string }, raw: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const { signature, timestamp } = headers;
  if (signature === undefined || timestamp === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export class FakeWebhookReceiver {
  /** Verified deliveries, in arrival order (duplicates included, marked). */
  readonly received: ReceivedDelivery[] = [];
  /** Every POST with the status answered. */
  readonly attempts: { delivery: string | undefined; status: number }[] = [];
  private readonly faults: ReceiverFault[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private base = '';

  constructor(private readonly secret: string) {}

  get url(): string {
    return `${this.base}/hooks/gate`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    this.server = undefined;
  }

  fail(...faults: ReceiverFault[]): void {
    this.faults.push(...faults);
  }

  /** Unique deliveries for a request, by type. */
  typesFor(requestId: string): string[] {
    return this.received.filter((d) => !d.duplicate && d.body.request.id === requestId).map((d) => d.body.type);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const delivery = header('x-gate-delivery');
    const answer = (status: number, headers: Record<string, string> = {}): void => {
      this.attempts.push({ delivery, status });
      res.writeHead(status, headers).end();
    };
    const fault = this.faults.shift();
    if (fault !== undefined && fault.status !== 'lost-reply') return answer(fault.status, fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
    const signature = header('x-gate-signature');
    const timestamp = header('x-gate-timestamp');
    if (!verifyDelivery(this.secret, { ...(signature !== undefined ? { signature } : {}), ...(timestamp !== undefined ? { timestamp } : {}) }, raw)) return answer(401);
    if (delivery === undefined || !/^application\/json\b/.test(header('content-type') ?? '')) return answer(400);
    const duplicate = this.received.some((d) => d.delivery === delivery);
    this.received.push({ delivery, timestamp: timestamp!, signature: signature!, raw, body: JSON.parse(raw) as ReceivedDelivery['body'], duplicate });
    if (fault?.status === 'lost-reply') {
      this.attempts.push({ delivery, status: 0 });
      return;
    }
    answer(200);
  }
}
