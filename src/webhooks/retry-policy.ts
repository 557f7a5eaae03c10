/**
 * When to try a delivery again: network errors, timeouts, 5xx and 429 are retried with exponential backoff
 * and full jitter (or after the receiver's Retry-After); other 4xx are final; the last attempt dead-letters.
 */
export interface RetrySettings {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export type ResponseVerdict = 'succeeded' | 'retryable' | 'final';

export function verdictFor(statusCode: number | undefined): ResponseVerdict {
  if (statusCode === undefined) return 'retryable'; // network error or timeout
  if (statusCode >= 200 && statusCode < 300) return 'succeeded';
  if (statusCode === 429 || statusCode >= 500) return 'retryable';
  return 'final';
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Backoff before attempt `attempt + 1`: a random wait in [½, 1] × base × 2^(attempt−1), capped. */
export function backoffWithJitterMs(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryDecision {
  outcome: 'succeeded' | 'retry' | 'dead';
  retryInMs?: number;
  retryAfterHonoured?: boolean;
}

export function decideAfterAttempt(
  attempt: number,
  statusCode: number | undefined,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
  random?: () => number,
): RetryDecision {
  const verdict = verdictFor(statusCode);
  if (verdict === 'succeeded') return { outcome: 'succeeded' };
  if (verdict === 'final' || attempt >= settings.maxAttempts) return { outcome: 'dead' };
  if (retryAfterMs !== undefined) return { outcome: 'retry', retryInMs: Math.min(retryAfterMs, settings.maxMs), retryAfterHonoured: true };
  return { outcome: 'retry', retryInMs: backoffWithJitterMs(attempt, settings, random), retryAfterHonoured: false };
}
