import { GateError } from '../errors.js';

// Placeholder until the approval client lands; replaced by the client implementation.
const missing = (): never => {
  throw new GateError('USAGE', 'approver commands are not available in this build');
};
export async function requestsCommand(_opts: { all: boolean; json: boolean }): Promise<number> {
  return missing();
}
export async function approveCommand(_id: string, _opts: { comment?: string }): Promise<number> {
  return missing();
}
export async function denyCommand(_id: string, _opts: { reason: string }): Promise<number> {
  return missing();
}
export async function askCommand(_id: string, _question: string): Promise<number> {
  return missing();
}
