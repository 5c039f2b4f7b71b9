import type { PrincipalKind } from '../approval/protocol.js';
import { GateError } from '../errors.js';
import { hashToken, newToken } from './ids.js';
import { StoreError, type Store } from './store/store.js';
import type { PrincipalRecord } from './types.js';

const KINDS: readonly PrincipalKind[] = ['human', 'agent', 'ci'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
const GROUP = /^[A-Za-z0-9._@-]{1,100}$/;

/** Checks the admin's input for `gate token create`; names and groups are shown to approvers. */
export function checkPrincipalInput(name: string, kind: string, groups: string): { name: string; kind: PrincipalKind; groups: string[] } {
  if (!NAME.test(name)) throw new GateError('USAGE', `--name ${name}: use letters, digits and . _ @ - (at most 100 characters)`);
  if (!(KINDS as readonly string[]).includes(kind)) throw new GateError('USAGE', `--kind ${kind}: expected human, agent or ci`);
  const list = [...new Set(groups.split(',').map((g) => g.trim()).filter((g) => g !== ''))];
  const bad = list.find((g) => !GROUP.test(g));
  if (bad !== undefined) throw new GateError('USAGE', `--groups: "${bad}" is not a valid group name (letters, digits and . _ @ -)`);
  return { name, kind: kind as PrincipalKind, groups: list };
}

/** Creates a principal with a fresh token; the token is returned once and only its hash is kept. */
export function createToken(store: Store, input: { name: string; kind: PrincipalKind; groups: string[] }, at: string): { token: string; principal: PrincipalRecord } {
  const token = newToken();
  try {
    return { token, principal: store.addPrincipal({ ...input, tokenHash: hashToken(token) }, at) };
  } catch (error) {
    if (error instanceof StoreError && error.code === 'name_taken') {
      throw new GateError('USAGE', error.message, { hint: `gate token revoke ${input.name}, then create it again` });
    }
    throw error;
  }
}
