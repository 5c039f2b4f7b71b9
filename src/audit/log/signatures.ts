import { verify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Checks one Ed25519 signature over `body`. */
export type SignatureCheck = (body: Uint8Array, signature: Uint8Array) => boolean;

interface Sodium {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** The raw 32-byte Ed25519 key inside a 44-byte SPKI DER. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
}

let sodiumPath: string | null | undefined;

/** libsodium (sodium-native) verifies Ed25519 about twice as fast as OpenSSL 3.0; optional. */
function resolveSodium(): string | undefined {
  if (sodiumPath === undefined) {
    try {
      sodiumPath = createRequire(import.meta.url).resolve('sodium-native');
    } catch {
      sodiumPath = null;
    }
  }
  return sodiumPath ?? undefined;
}

/** A synchronous checker for one key: libsodium when it loads, node:crypto (OpenSSL) otherwise. */
export function signatureChecker(publicKey: KeyObject): SignatureCheck {
  const path = resolveSodium();
  if (path !== undefined) {
    try {
      const sodium = createRequire(import.meta.url)(path) as Sodium;
      const raw = rawPublicKey(publicKey);
      return (body, signature) => signature.length === 64 && sodium.crypto_sign_verify_detached(signature, body, raw);
    } catch {
      // Fall through to OpenSSL.
    }
  }
  return (body, signature) => {
    try {
      return verify(null, body, publicKey, signature);
    } catch {
      return false;
    }
  };
}

/** Below this many lines, starting workers costs more than it saves. */
const PARALLEL_FROM = 4096;

/** Lines a worker claims at a time, from the end of the log backwards. */
const CHUNK = 256;

/** Per-line state in the shared array. */
const PENDING = 0;
const VALID = 1;
const INVALID = 2;
const CLAIMED = 3;

/** A signature check running alongside the rest of verification. */
export interface SignatureJob {
  /**
   * Whether line `index` (0-based, split as `raw`) carries a valid signature, if that is known
   * already: without workers it is checked right here; with workers, undefined means a worker has
   * it or will (the caller settles it after finish()).
   */
  ok(index: number, raw: { readonly body: Uint8Array; readonly signature: Uint8Array }): boolean | undefined;
  /** After the caller's pass: checks what is left, waits for the workers, and answers for every line. */
  finish(): Promise<(index: number) => boolean>;
}

/**
 * Checks the Ed25519 signatures of a large log on every core while the caller verifies the rest
 * (parsing, chain, receipts) on its own thread. Worker threads take lines from the start, in
 * chunks; the caller only reads the results that are ready, and once its own pass is done it
 * checks the lines still untaken from the end backwards, meeting the workers. Each line is claimed
 * once (compare-and-swap in a shared array), so no line is checked twice and both cores stay busy
 * to the end. Ed25519 verification is most of the cost of `gate audit verify`.
 */
export function startSignatureCheck(bytes: Buffer, publicKey: KeyObject, lineCount: number): SignatureJob {
  const check = signatureChecker(publicKey);
  const workers = Math.min(availableParallelism(), 8) - 1;
  if (lineCount < PARALLEL_FROM || workers < 1) {
    const always = (): boolean => true;
    return { ok: (_index, raw) => check(raw.body, raw.signature), finish: () => Promise.resolve(always) };
  }
  // verify-file.ts reads logs into shared memory; other bytes are copied there once.
  let shared: Buffer = bytes;
  if (!(bytes.buffer instanceof SharedArrayBuffer)) {
    shared = Buffer.from(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
  }
  const state = new Int32Array(new SharedArrayBuffer(lineCount * 4));
  // control[0]: the next line index to hand out to a worker (they move forward in chunks).
  const control = new Int32Array(new SharedArrayBuffer(4));
  const starts = lineStarts(bytes, lineCount);
  const input: WorkerInput = {
    bytes: shared.buffer as SharedArrayBuffer,
    offset: shared.byteOffset,
    length: shared.length,
    starts: starts.buffer,
    state: state.buffer,
    control: control.buffer,
    spki: publicKey.export({ format: 'der', type: 'spki' }),
    sodium: resolveSodium() ?? null,
    chunk: CHUNK,
  };
  const running = Array.from({ length: workers }, () => runWorker(input));
  const checkHere = (i: number): void => {
    const start = starts[i]!;
    const end = starts[i + 1]! - 1;
    const tab = shared.indexOf(0x09, start);
    const valid =
      tab !== -1 && tab < end && end - tab - 1 === 88 && check(shared.subarray(start, tab), Buffer.from(shared.toString('latin1', tab + 1, end), 'base64'));
    Atomics.store(state, i, valid ? VALID : INVALID);
  };
  return {
    ok: (index) => {
      const result = Atomics.load(state, index);
      return result === VALID ? true : result === INVALID ? false : undefined;
    },
    finish: async () => {
      // What no worker took yet, from the end, until the two meet.
      for (let i = lineCount - 1; i >= 0; i--) {
        if (Atomics.compareExchange(state, i, PENDING, CLAIMED) === PENDING) checkHere(i);
      }
      Atomics.store(control, 0, lineCount);
      // A worker's line in flight: wait for its answer; should the worker have died holding it,
      // check the line here rather than wait forever.
      for (let i = 0; i < lineCount; i++) {
        const deadline = Date.now() + 2000;
        while (Atomics.load(state, i) === CLAIMED && Date.now() < deadline) Atomics.wait(state, i, CLAIMED, 5);
        if (Atomics.load(state, i) === CLAIMED || Atomics.load(state, i) === PENDING) checkHere(i);
      }
      await Promise.allSettled(running);
      return (index) => Atomics.load(state, index) === VALID;
    },
  };
}

/** Offset of each line's first byte, plus one past the last line's LF. */
function lineStarts(bytes: Buffer, lineCount: number): Float64Array {
  const starts = new Float64Array(new SharedArrayBuffer((lineCount + 1) * 8));
  let at = 0;
  for (let i = 0; i < lineCount; i++) {
    starts[i] = at;
    at = bytes.indexOf(0x0a, at) + 1;
  }
  starts[lineCount] = at;
  return starts;
}

interface WorkerInput {
  readonly bytes: SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
  readonly starts: ArrayBufferLike;
  readonly state: ArrayBufferLike;
  readonly control: ArrayBufferLike;
  readonly spki: Buffer;
  readonly sodium: string | null;
  readonly chunk: number;
}

/**
 * The worker is source text (eval), so it runs the same from the esbuild bundle and from the
 * TypeScript sources under test. A line it cannot split (no TAB, not 88 characters of signature)
 * is left to the caller, whose own split reports it.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const { bytes, offset, length, starts, state: stateBuffer, control: controlBuffer, spki, sodium, chunk } = workerData;
const buffer = Buffer.from(bytes, offset, length);
const offsets = new Float64Array(starts);
const state = new Int32Array(stateBuffer);
const control = new Int32Array(controlBuffer);
const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
let check = (body, sig) => { try { return verify(null, body, key, sig); } catch { return false; } };
if (sodium) {
  try {
    const lib = require(sodium);
    const raw = Buffer.from(spki).subarray(12);
    check = (body, sig) => sig.length === 64 && lib.crypto_sign_verify_detached(sig, body, raw);
  } catch {}
}
const lines = offsets.length - 1;
for (;;) {
  const low = Atomics.add(control, 0, chunk);
  if (low >= lines) break;
  for (let i = low; i < Math.min(low + chunk, lines); i++) {
    if (Atomics.compareExchange(state, i, 0, 3) !== 0) continue;
    const start = offsets[i];
    const end = offsets[i + 1] - 1;
    const tab = buffer.indexOf(9, start);
    let valid = false;
    if (tab !== -1 && tab < end && end - tab - 1 === 88) {
      valid = check(buffer.subarray(start, tab), Buffer.from(buffer.toString('latin1', tab + 1, end), 'base64'));
    }
    Atomics.store(state, i, valid ? 1 : 2);
    Atomics.notify(state, i);
  }
}
parentPort.postMessage('done');
`;

function runWorker(input: WorkerInput): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: input });
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`signature worker exited with ${code}`))));
  });
}
