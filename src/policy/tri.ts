/**
 * Three-valued (Kleene) logic. A condition over a word gate cannot know statically is MAYBE:
 * approve and deny rules fire on MAYBE, allow rules only on YES, so uncertainty never loosens.
 */
export const NO = 0;
export const MAYBE = 1;
export const YES = 2;
export type Tri = typeof NO | typeof MAYBE | typeof YES;

export const and = (a: Tri, b: Tri): Tri => (a < b ? a : b);
export const or = (a: Tri, b: Tri): Tri => (a > b ? a : b);
export const not = (a: Tri): Tri => (2 - a) as Tri;
/** Combines alternative readings of the same argv: certain only if every reading agrees. */
export const agree = (a: Tri, b: Tri): Tri => (a === b ? a : MAYBE);
