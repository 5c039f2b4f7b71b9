/** The server's notion of "now", injectable so tests can move time instead of sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** RFC 3339 UTC with milliseconds, e.g. 2025-01-31T12:00:00.000Z; sorts as it compares. */
export const iso = (date: Date): string => date.toISOString();

export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);
