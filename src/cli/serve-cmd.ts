import { GateError } from '../errors.js';
import type { ServeOptions } from './program.js';

// Placeholder until the approval service lands; replaced by the server implementation.
export async function serveCommand(_opts: ServeOptions): Promise<number> {
  throw new GateError('USAGE', 'gate serve is not available in this build');
}
