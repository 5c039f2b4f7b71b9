import { GateError } from '../errors.js';
import type { TokenCreateOptions } from './program.js';

// Placeholder until the approval service lands; replaced by the server implementation.
const missing = (): never => {
  throw new GateError('USAGE', 'gate token is not available in this build');
};
export async function tokenCreate(_opts: TokenCreateOptions): Promise<number> {
  return missing();
}
export async function tokenList(_opts: { db?: string; json: boolean }): Promise<number> {
  return missing();
}
export async function tokenRevoke(_nameOrId: string, _opts: { db?: string }): Promise<number> {
  return missing();
}
