import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffWithJitterMs, decideAfterAttempt, parseRetryAfter, verdictFor } from '../../src/webhooks/retry-policy.js';

const settings = { maxAttempts: 5, baseMs: 1000, maxMs: 60_000 };

describe('retry policy', () => {
  it('retries network errors, timeouts, 5xx and 429, and nothing else', () => {
    assert.equal(verdictFor(undefined), 'retryable');
    for (const status of [500, 502, 503, 504, 429]) assert.equal(verdictFor(status), 'retryable', String(status));
    for (const status of [400, 401, 403, 404, 410, 422, 301]) assert.equal(verdictFor(status), 'final', String(status));
    for (const status of [200, 201, 202, 204]) assert.equal(verdictFor(status), 'succeeded', String(status));
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-23T20:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 20:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 19:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('backs off exponentially with jitter between half and all of the step, capped', () => {
    assert.equal(backoffWithJitterMs(1, settings, () => 0), 500);
    assert.equal(backoffWithJitterMs(1, settings, () => 1), 1000);
    assert.equal(backoffWithJitterMs(4, settings, () => 0), 4000);
    assert.equal(backoffWithJitterMs(4, settings, () => 1), 8000);
    assert.equal(backoffWithJitterMs(20, settings, () => 1), 60_000);
    const draws = new Set(Array.from({ length: 20 }, () => backoffWithJitterMs(3, settings)));
    assert.ok(draws.size > 1, 'jittered');
  });

  it('honours Retry-After (capped), dead-letters on the last attempt and on a final status', () => {
    assert.deepEqual(decideAfterAttempt(1, 429, 5000, settings), { outcome: 'retry', retryInMs: 5000, retryAfterHonoured: true });
    assert.deepEqual(decideAfterAttempt(1, 503, 10 * 3600_000, settings), { outcome: 'retry', retryInMs: 60_000, retryAfterHonoured: true });
    assert.deepEqual(decideAfterAttempt(2, 500, undefined, settings, () => 1), { outcome: 'retry', retryInMs: 2000, retryAfterHonoured: false });
    assert.deepEqual(decideAfterAttempt(5, 500, undefined, settings), { outcome: 'dead' });
    assert.deepEqual(decideAfterAttempt(1, 404, 5000, settings), { outcome: 'dead' });
    assert.deepEqual(decideAfterAttempt(3, 200, undefined, settings), { outcome: 'succeeded' });
  });
});
