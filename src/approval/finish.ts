// How a wait ends: a verified and claimed approval, or the reason there is none.
import type { WaitReporter } from '../ui/updates.js';
import type { ApprovalClient } from './client.js';
import { commandDigest } from './digest.js';
import { ApprovalError } from './errors.js';
import type { ServiceAnswer } from './flow.js';
import type { PinnedKey } from './pin.js';
import type { ApprovalRequest, CommandSpec, ReceiptPayload } from './protocol.js';
import { ReceiptError, verifyReceipt } from './receipt.js';

/** The result for a request that ended without an approval to use. */
export function concluded(request: ApprovalRequest): ServiceAnswer {
  switch (request.status) {
    case 'denied':
      return {
        kind: 'denied',
        request,
        by: request.denial?.by ?? 'unknown',
        reason: request.denial?.reason ?? '(no reason given)',
        byPolicy: request.denial?.by_policy ?? false,
      };
    case 'expired':
      return { kind: 'expired', request };
    case 'cancelled':
      return { kind: 'cancelled', request };
    case 'approved':
    case 'executing':
    case 'executed':
    case 'pending':
      throw new ApprovalError('claim_refused', `request ${request.id} was ${request.status === 'pending' ? 'still pending' : 'claimed'} before this gate could use it`, {
        hint: 'someone else may be using your token; nothing was run',
      });
  }
}

/** verifyReceipt against the pinned key, this request id, our own digest of what will run. */
export function verify(request: ApprovalRequest, command: CommandSpec, requester: string, id: string, pinned: PinnedKey, now: number): ReceiptPayload {
  if (request.receipt === undefined) {
    throw new ApprovalError('receipt', `request ${id} is approved but the approval service sent no receipt; refusing to run`, { receiptProblem: 'malformed' });
  }
  try {
    return verifyReceipt(request.receipt, pinned.key, { requestId: id, commandDigest: commandDigest(command, requester), requester, now: new Date(now) });
  } catch (error) {
    if (!(error instanceof ReceiptError)) throw error;
    throw new ApprovalError('receipt', `refusing to run: ${error.message}`, {
      receiptProblem: error.problem,
      cause: error,
      hint:
        error.problem === 'wrong_key'
          ? 'the receipt is not signed by the pinned server key; if the server key was rotated, re-pin it with `gate config set serverKey <key>`'
          : error.problem === 'expired' || error.problem === 'not_yet_valid'
            ? "check that this machine's clock and the server's agree, then run the command again"
            : 'the approval does not match this exact command; nothing was run',
    });
  }
}

/** POST claim: the receipt is used once; the command runs only if the server confirms. */
export async function claim(client: ApprovalClient, request: ApprovalRequest, receipt: ReceiptPayload): Promise<ApprovalRequest> {
  const notAfter = Date.parse(receipt.not_after);
  let claimed: ApprovalRequest;
  try {
    claimed = await client.claim(request.id, receipt.receipt_id, { deadline: Math.max(client.now() + 5_000, Math.min(notAfter, client.now() + 60_000)) });
  } catch (error) {
    if (!(error instanceof ApprovalError) || error.problem !== 'http') throw error;
    throw new ApprovalError('claim_refused', `the approval service would not let this approval be used: ${error.message}`, {
      cause: error,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
      hint: error.serverCode === 'receipt_expired' ? 'the approval expired before it was used; run the command again' : 'nothing was run',
    });
  }
  if (claimed.id !== request.id || claimed.status !== 'executing') {
    throw new ApprovalError('claim_refused', `the approval service did not confirm the claim of ${request.id} (status: ${claimed.status})`, { hint: 'nothing was run' });
  }
  return claimed;
}

export async function cancelOnServer(client: ApprovalClient, request: ApprovalRequest, reporter: WaitReporter, force: AbortSignal): Promise<ServiceAnswer> {
  try {
    const after = await client.cancel(request.id, { deadline: client.now() + 5_000, signal: force });
    reporter.update({ type: 'cancelled', request: after });
    return { kind: 'cancelled', request: after };
  } catch (error) {
    const problem = error instanceof Error ? error.message : 'interrupted';
    reporter.update({ type: 'cancelled', request });
    return { kind: 'cancelled', request, problem };
  }
}
