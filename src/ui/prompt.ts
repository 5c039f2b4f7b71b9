import { createInterface } from 'node:readline/promises';

/**
 * Asks for the reason a rule requires, on the terminal (stderr), before the wait starts.
 * Resolves with the text, '' when none was typed (three empty answers or end of input), or
 * null when the user pressed Ctrl-C.
 */
export async function promptReason(rules: readonly string[], stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string | null> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: true });
  const stop = new AbortController();
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    stop.abort();
  });
  rl.on('close', () => stop.abort());
  const which = rules.length > 0 ? `rule ${rules.map((r) => `"${r}"`).join(', ')}` : 'the policy';
  try {
    stderr.write(`gate: ${which} requires a reason; approvers will see it\n`);
    for (let i = 0; i < 3; i++) {
      const answer = (await rl.question('gate: reason: ', { signal: stop.signal })).trim();
      if (answer !== '') return answer;
    }
    return '';
  } catch (error) {
    if (interrupted) return null;
    if (stop.signal.aborted) return '';
    throw error;
  } finally {
    rl.close();
    stdin.pause();
  }
}
