import { ApprovalError } from './errors.js';

/** The one retry policy of the approval client: exponential backoff with jitter, capped. */
export interface Backoff {
  /** Delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** Longest delay between two attempts. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, capMs: 5_000 };

/**
 * Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped, then "equal
 * jitter" (half fixed, half random) so many clients that lost the same server do not return in step.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** A sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** Epoch ms: no retry is started that would wait past this instant. */
  readonly deadline: number;
  readonly backoff: Backoff;
  readonly signal?: AbortSignal;
  readonly now: () => number;
  readonly random: () => number;
  /** Called before each wait; for progress lines. */
  readonly onRetry?: (error: ApprovalError, attempt: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the deadline leaves no room for another
 * try. Only transient ApprovalErrors are retried (network, timeouts, 429, 502/503/504); a 429's
 * Retry-After replaces the backoff delay. The last error is rethrown, saying how often we tried.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ApprovalError) || !error.transient || options.signal?.aborted) throw error;
      const delay = error.retryAfterMs ?? backoffDelay(n, options.backoff, options.random);
      if (options.now() + delay >= options.deadline) throw n === 1 ? error : retriedError(error, n);
      options.onRetry?.(error, n, delay);
      await sleep(delay, options.signal);
    }
  }
}

function retriedError(error: ApprovalError, attempts: number): ApprovalError {
  return new ApprovalError(error.problem, `${error.message} (gave up after ${attempts} attempts)`, {
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    cause: error,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
  });
}
