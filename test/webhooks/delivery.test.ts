/**
 * Webhook deliveries end to end on the embedded service (in-process queue, real SQLite), to real HTTP
 * receivers on local ports: signatures, retries, Retry-After, no retry on 4xx, dead-letter and redelivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestInstance, type TestInstance } from '../helpers/service.js';
import { classify, deliveriesOf, settledDeliveries, subscribe } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';
import { verifyCandelaWebhook } from './third-party-verifier.js';

let candela: TestInstance;
const receivers: Receiver[] = [];
let objectCounter = 0;

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

/** A subscription that matches only the object it is made for, so that tests do not see each other's results. */
async function subscriptionFor(url: string, rule: Record<string, unknown> = {}) {
  const objectId = `ZTF-hook-${++objectCounter}`;
  const webhook = await subscribe(candela.app, { url, rule: { objectIdPattern: `^${objectId}$`, ...rule } });
  return { webhook, objectId };
}

before(async () => {
  candela = await startTestInstance({ WEBHOOK_ALLOW_PRIVATE: true, DELIVERY_ATTEMPTS: 3, DELIVERY_BACKOFF_BASE_MS: 20, DELIVERY_TIMEOUT_MS: 2000 });
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await candela.close();
});

describe('webhook delivery', () => {
  it('signs the body so that a third party verifies it, and sends the full result with its links', async () => {
    const target = await receiver();
    const { webhook, objectId } = await subscriptionFor(target.url);
    const classificationId = await classify(candela.app, objectId);
    const [request] = await target.received(1);

    assert.ok(verifyCandelaWebhook(webhook.secret, request.headers, request.body), 'the signature verifies');
    assert.ok(!verifyCandelaWebhook(`${webhook.secret}x`, request.headers, request.body), 'a wrong secret does not');
    assert.ok(!verifyCandelaWebhook(webhook.secret, request.headers, request.body.replace('"spectrum"', '"lightcurve"')), 'a changed body does not');
    const body = JSON.parse(request.body);
    assert.equal(body.event, 'classification.completed');
    assert.equal(body.deliveryId, request.headers['x-candela-delivery']);
    assert.equal(body.classification.id, classificationId);
    assert.equal(body.classification.objectId, objectId);
    assert.ok(body.classification.result.conformal.pValue > 0);
    assert.equal(body.classification.links.self, `/classifications/${classificationId}`);

    const [delivery] = await settledDeliveries(candela.app, webhook.id);
    assert.equal(delivery.id, request.headers['x-candela-delivery']);
    assert.equal(delivery.status, 'succeeded');
    assert.deepEqual(delivery.attemptLog.map((a) => [a.number, a.outcome, a.statusCode]), [[1, 'succeeded', 200]]);

    // The journal entry follows the recorded success.
    let journal: { event: string; classificationId?: string; detail?: string }[] = [];
    for (let tries = 0; tries < 50 && !journal.some((entry) => entry.event === 'delivered'); tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      journal = (await candela.app.inject({ method: 'GET', url: `/objects/${objectId}` })).json().journal;
    }
    const delivered = journal.filter((entry) => entry.event === 'delivered');
    assert.equal(delivered.length, 1, JSON.stringify(journal));
    assert.equal(delivered[0].classificationId, classificationId);
    assert.equal(delivered[0].detail, `webhook ${delivery.id}`);
  });

  it('retries after a 500 and succeeds, with the same delivery id', async () => {
    const target = await receiver((_, n) => (n === 0 ? { status: 500, body: '{"error":"busy"}' } : { status: 200 }));
    const { webhook, objectId } = await subscriptionFor(target.url);
    await classify(candela.app, objectId);
    const [first, second] = await target.received(2);
    assert.equal(first.headers['x-candela-delivery'], second.headers['x-candela-delivery']);
    assert.equal(first.body, second.body);
    const [delivery] = await settledDeliveries(candela.app, webhook.id);
    assert.equal(delivery.status, 'succeeded');
    assert.deepEqual(delivery.attemptLog.map((a) => [a.outcome, a.statusCode]), [['retry', 500], ['succeeded', 200]]);
    assert.match(delivery.attemptLog[0].error!, /HTTP 500.*busy/);
    assert.equal(delivery.attemptLog[0].retryAfterHonoured, false);

    const metrics = (await candela.app.inject({ method: 'GET', url: '/metrics' })).body;
    const count = (outcome: string) => Number(metrics.match(new RegExp(`^candela_delivery_attempts_total\\{kind="webhook",outcome="${outcome}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
    assert.ok(count('retry') >= 1 && count('succeeded') >= 1, 'attempts are counted by outcome');
    assert.match(metrics, /^candela_delivery_attempt_seconds_count\{kind="webhook"\} [1-9]/m);
  });

  it("waits as long as a 429's Retry-After asks", async () => {
    const target = await receiver((_, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { webhook, objectId } = await subscriptionFor(target.url);
    await classify(candela.app, objectId);
    const [first, second] = await target.received(2);
    assert.ok(second.receivedAt - first.receivedAt >= 900, `the retry came ${second.receivedAt - first.receivedAt} ms later`);
    const [delivery] = await settledDeliveries(candela.app, webhook.id);
    assert.deepEqual(delivery.attemptLog.map((a) => [a.outcome, a.statusCode, a.retryInMs, a.retryAfterHonoured]), [
      ['retry', 429, 1000, true],
      ['succeeded', 200, undefined, undefined],
    ]);
  });

  it('does not retry a 400', async () => {
    const target = await receiver(() => ({ status: 400, body: '{"error":"unknown object"}' }));
    const { webhook, objectId } = await subscriptionFor(target.url);
    await classify(candela.app, objectId);
    const [delivery] = await settledDeliveries(candela.app, webhook.id);
    assert.equal(delivery.status, 'dead');
    assert.deepEqual(delivery.attemptLog.map((a) => [a.outcome, a.statusCode]), [['dead', 400]]);
    assert.equal(target.requests.length, 1);
  });

  it('dead-letters after the last attempt, and a redelivery sends the same delivery again', async () => {
    let failing = true;
    const target = await receiver(() => (failing ? { status: 503 } : { status: 204 }));
    const { webhook, objectId } = await subscriptionFor(target.url);
    await classify(candela.app, objectId);
    const [dead] = await settledDeliveries(candela.app, webhook.id);
    assert.equal(dead.status, 'dead');
    assert.deepEqual(dead.attemptLog.map((a) => a.outcome), ['retry', 'retry', 'dead']);
    assert.equal(target.requests.length, 3);

    failing = false;
    const redelivery = await candela.app.inject({ method: 'POST', url: `/webhooks/${webhook.id}/deliveries/${dead.id}/redeliver` });
    assert.equal(redelivery.statusCode, 202, redelivery.body);
    await target.received(4);
    const [delivered] = await settledDeliveries(candela.app, webhook.id);
    assert.equal(delivered.status, 'succeeded');
    assert.equal(delivered.attempts, 4);
    assert.equal(target.requests[3].headers['x-candela-delivery'], dead.id);
    assert.ok(verifyCandelaWebhook(webhook.secret, target.requests[3].headers, target.requests[3].body));

    const unknown = await candela.app.inject({ method: 'POST', url: `/webhooks/${webhook.id}/deliveries/dlv_nope/redeliver` });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  it('refuses to redeliver a delivery that is still in progress', async () => {
    const target = await receiver(() => 'hang');
    const { webhook, objectId } = await subscriptionFor(target.url);
    await classify(candela.app, objectId);
    await target.received(1);
    const [inFlight] = await deliveriesOf(candela.app, webhook.id);
    const response = await candela.app.inject({ method: 'POST', url: `/webhooks/${webhook.id}/deliveries/${inFlight.id}/redeliver` });
    assert.equal(response.statusCode, 409);
    assert.match(response.json().detail, /delivering/);
  });

  it('delivers to the subscriptions whose rules match, and only to them', async () => {
    const target = await receiver();
    const objectId = `ZTF-rules-${++objectCounter}`;
    const only = { objectIdPattern: `^${objectId}$` };
    const matching = await subscribe(candela.app, { url: target.url, rule: { ...only, minProbability: 0, minSetSize: 0, modalities: ['spectrum'] } });
    const impossiblePValue = await subscribe(candela.app, { url: target.url, rule: { ...only, maxPValue: 0 } });
    const otherModality = await subscribe(candela.app, { url: target.url, rule: { ...only, modalities: ['lightcurve'] } });
    const inactive = await subscribe(candela.app, { url: target.url, rule: only, active: false });
    await classify(candela.app, objectId);
    await settledDeliveries(candela.app, matching.id);
    for (const webhook of [impossiblePValue, otherModality, inactive]) assert.deepEqual(await deliveriesOf(candela.app, webhook.id), []);
    assert.equal(target.requests.length, 1);
  });
});
