import type { NotifyDoc, NotifyTargets } from './types.js';

/**
 * A rule's `approval.notify`, resolved against the defaults: each kind the rule names replaces the
 * default for that kind, the others are inherited. Undefined when neither says anything.
 */
export function resolveNotify(doc: NotifyDoc | undefined, base: NotifyTargets | undefined): NotifyTargets | undefined {
  if (doc === undefined) return base;
  return {
    slack: [...(doc.slack ?? base?.slack ?? [])],
    teams: [...(doc.teams ?? base?.teams ?? [])],
    webhook: [...(doc.webhook ?? base?.webhook ?? [])],
  };
}

/** Several approve rules at once: every destination any of them names is told (first-seen order). */
export function mergeNotify(list: readonly (NotifyTargets | undefined)[]): NotifyTargets | undefined {
  const present = list.filter((n): n is NotifyTargets => n !== undefined);
  if (present.length === 0) return undefined;
  const union = (pick: (n: NotifyTargets) => readonly string[]): string[] => [...new Set(present.flatMap(pick))];
  return { slack: union((n) => n.slack), teams: union((n) => n.teams), webhook: union((n) => n.webhook) };
}

/** `{notify}` when there is one, else nothing: requirements without destinations stay as they were. */
export const withNotify = (notify: NotifyTargets | undefined): { notify?: NotifyTargets } => (notify === undefined ? {} : { notify });
