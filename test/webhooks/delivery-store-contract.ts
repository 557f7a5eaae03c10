/**
 * The DeliveryStore contract, which every implementation passes (SQLite always, MongoDB when MONGODB_URI is
 * set): claims are exclusive, an attempt is recorded only by the worker holding it, a crashed attempt is taken
 * over after its lease, redelivery only of finished deliveries, idempotent creation, newest-first pages.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DeliveryStore, NewDelivery } from '../../src/store/delivery-store.js';
import { InvalidCursorError } from '../../src/store/provenance-store.js';

const now = () => new Date().toISOString();
const attempt = (outcome: 'succeeded' | 'retry' | 'dead', more: object = {}) => ({ startedAt: now(), durationMs: 12, outcome, ...more });

export function runDeliveryStoreContract(name: string, makeStore: () => Promise<DeliveryStore>, options: { skip?: string | false } = {}) {
  if (options.skip) {
    it(`DeliveryStore contract: ${name}`, { skip: options.skip }, () => {});
    return;
  }
  describe(`DeliveryStore contract: ${name}`, () => {
    let store: DeliveryStore;
    beforeEach(async () => {
      store = await makeStore();
      await store.createWebhook({ id: 'whk_1', target: 'webhook', url: 'https://example.org/hook', rule: { decisions: ['ALERT'] }, active: true, secret: 'whsec_abcdefghijklmnop', secretHint: '…mnop', createdAt: now(), updatedAt: now() });
    });
    afterEach(async () => {
      await store.close();
    });
    const delivery = (id: string): NewDelivery => ({ id, kind: 'webhook', webhookId: 'whk_1', url: 'https://example.org/hook', payload: { event: 'classification.completed', n: id }, maxAttempts: 2 });

    it('keeps the secret out of every read but the worker\'s', async () => {
      assert.equal((await store.getWebhook('whk_1')) && 'secret' in (await store.getWebhook('whk_1'))!, false);
      assert.ok((await store.listWebhooks()).every((w) => !('secret' in w)));
      assert.equal((await store.getWebhookWithSecret('whk_1'))?.secret, 'whsec_abcdefghijklmnop');
      await store.updateWebhook('whk_1', { active: false });
      assert.deepEqual(await store.listActiveWebhooks(), []);
      assert.equal(await store.deleteWebhook('whk_1'), true);
      assert.equal(await store.deleteWebhook('whk_1'), false);
    });

    it('creates a delivery once per id', async () => {
      const first = await store.createDelivery(delivery('dlv_a'));
      const again = await store.createDelivery({ ...delivery('dlv_a'), payload: { other: true } });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.deepEqual(again.delivery.payload, { event: 'classification.completed', n: 'dlv_a' });
      assert.equal(again.delivery.status, 'pending');
    });

    it('lets one worker hold an attempt, and records only the holder\'s result', async () => {
      await store.createDelivery(delivery('dlv_b'));
      const claimed = await store.claimDelivery('dlv_b', 60_000);
      assert.equal(claimed?.attempts, 1);
      assert.equal(claimed?.status, 'delivering');
      assert.equal(await store.claimDelivery('dlv_b', 60_000), null, 'leased');
      assert.equal(await store.finishAttempt('dlv_b', 2, attempt('succeeded')), null, 'not attempt 2');
      const retrying = await store.finishAttempt('dlv_b', 1, attempt('retry', { statusCode: 503, retryInMs: 5000, retryAfterHonoured: false }));
      assert.equal(retrying?.status, 'pending');
      assert.ok(Date.parse(retrying!.nextAttemptAt) >= Date.now() + 4000);
      assert.equal(await store.finishAttempt('dlv_b', 1, attempt('succeeded')), null, 'already recorded');
      assert.equal((await store.claimDelivery('dlv_b', 60_000))?.attempts, 2);
      const dead = await store.finishAttempt('dlv_b', 2, attempt('dead', { statusCode: 503, error: 'HTTP 503' }));
      assert.deepEqual([dead?.status, dead?.lastError], ['dead', 'HTTP 503']);
      assert.equal(await store.claimDelivery('dlv_b', 60_000), null, 'finished');
      assert.deepEqual((await store.listAttempts('dlv_b')).map((a) => [a.number, a.outcome, a.statusCode, a.retryInMs]), [[1, 'retry', 503, 5000], [2, 'dead', 503, undefined]]);
    });

    it('hands an attempt whose lease ended to the next worker, and finds it as due', async () => {
      await store.createDelivery(delivery('dlv_c'));
      await store.claimDelivery('dlv_c', 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual((await store.findDueDeliveries(10)).map((d) => d.id), ['dlv_c']);
      const takenOver = await store.claimDelivery('dlv_c', 60_000);
      assert.equal(takenOver?.attempts, 2);
      assert.equal(await store.finishAttempt('dlv_c', 1, attempt('succeeded')), null, 'the dead worker\'s attempt cannot finish it');
      assert.equal((await store.findDueDeliveries(10)).length, 0);
    });

    it('redelivers only finished deliveries, with a fresh set of attempts', async () => {
      await store.createDelivery(delivery('dlv_d'));
      assert.equal(await store.redeliver('dlv_d', 2), null, 'pending');
      await store.claimDelivery('dlv_d', 60_000);
      await store.finishAttempt('dlv_d', 1, attempt('dead', { statusCode: 410 }));
      const again = await store.redeliver('dlv_d', 2);
      assert.deepEqual([again?.status, again?.attempts, again?.maxAttempts], ['pending', 1, 3]);
    });

    it('pages deliveries newest first and refuses foreign cursors', async () => {
      for (const id of ['dlv_1', 'dlv_2', 'dlv_3']) {
        await store.createDelivery(delivery(id));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const first = await store.listDeliveries('whk_1', 2);
      assert.deepEqual(first.items.map((d) => d.id), ['dlv_3', 'dlv_2']);
      const second = await store.listDeliveries('whk_1', 2, first.nextCursor);
      assert.deepEqual(second.items.map((d) => d.id), ['dlv_1']);
      assert.equal(second.nextCursor, undefined);
      await assert.rejects(store.listDeliveries('whk_1', 2, 'bogus!'), InvalidCursorError);
    });

    it('finds an analysis request by its job', async () => {
      const request = { id: 'ana_1', jobId: 'job-9', objectId: 'ZTF1', callbackUrl: 'https://sp.example/api/webhook/obj_analysis/t', invalidAfter: now(), resourceType: 'obj', resourceId: 'ZTF1', parameters: { alpha: 0.1 }, createdAt: now() };
      await store.createAnalysisRequest(request);
      assert.deepEqual(await store.findAnalysisRequestByJob('job-9'), request);
      assert.deepEqual(await store.getAnalysisRequest('ana_1'), request);
      assert.equal(await store.findAnalysisRequestByJob('job-10'), null);
    });
  });
}

