import type * as InkModule from 'ink';
import type * as ReactModule from 'react';
import { createWaitView } from './components/WaitView.js';
import type { WaitControls, WaitReporter, WaitUpdate } from './updates.js';
import { initialWaitState, reduceWait, type WaitViewState } from './wait-state.js';

// ink and react are imported by name at run time, so the bundler leaves them to node_modules:
// ink's optional devtools import cannot be bundled, and ink and our view must share one React.
const load = (specifier: string): Promise<unknown> => import(specifier);

export async function loadInk(): Promise<{ React: typeof ReactModule; ink: typeof InkModule }> {
  const [React, ink] = await Promise.all([load('react') as Promise<typeof ReactModule>, load('ink') as Promise<typeof InkModule>]);
  return { React, ink };
}

export interface InkViewOptions {
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly controls: WaitControls;
  readonly now?: () => number;
  /** Spinner/clock redraw period; 0 stops the animation (tests). */
  readonly tickMs?: number;
  /** Ink's debug mode writes every frame in full (tests read the frames). */
  readonly debug?: boolean;
}

/**
 * The terminal view: an Ink app on stderr that redraws on every update and tick. close() leaves
 * the final frame on screen, unmounts Ink, turns raw mode off and stops reading stdin, so the
 * approved command gets the terminal exactly as the user's shell left it.
 */
export async function mountInkView(options: InkViewOptions): Promise<WaitReporter> {
  const { React, ink } = await loadInk();
  const WaitView = createWaitView(React, ink);
  const now = options.now ?? Date.now;
  const interactive = options.stdin.isTTY === true && typeof options.stdin.setRawMode === 'function';
  let state: WaitViewState = initialWaitState(now());
  let frame = 0;
  const element = (): ReactModule.ReactElement =>
    React.createElement(WaitView, { state, now: now(), frame, interactive, onAnswer: options.controls.answer, onCancel: options.controls.cancel });
  // Mounted on the first update, so the first frame already shows the request.
  let instance: ReturnType<typeof ink.render> | undefined;
  const draw = (): void => {
    if (instance !== undefined) return instance.rerender(element());
    instance = ink.render(element(), {
      stdout: options.stderr,
      stderr: options.stderr,
      stdin: options.stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      debug: options.debug ?? false,
    });
  };
  const tickMs = options.tickMs ?? 100;
  const timer = tickMs > 0 ? setInterval(() => {
    frame++;
    if (instance !== undefined) draw();
  }, tickMs) : undefined;
  timer?.unref();
  let closed = false;

  return {
    update(update: WaitUpdate) {
      if (closed) return;
      state = reduceWait(state, update);
      draw();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      if (instance === undefined) return;
      draw();
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      if (interactive && options.stdin.isRaw) options.stdin.setRawMode(false);
      options.stdin.pause();
    },
  };
}
