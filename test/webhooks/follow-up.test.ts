/**
 * A classify job whose worker dies after storing the classification but before creating its deliveries is
 * followed up when the queue hands the job out again: the deliveries appear once, the classification stays one.
 * The "death" is a follow-up that throws once, as the queue sees a killed worker: the job is not acknowledged.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pino from 'pino';
import { classifyProcessor } from '../../jobs/classify.js';
import type { JobFinishedEvent } from '../../src/events/result-events.js';
import { fanOut } from '../../src/webhooks/fan-out.js';
import { realSpectrumBody } from '../helpers/fixtures.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startTestInstance, type TestInstance } from '../helpers/service.js';
import { deliveriesOf, subscribe } from './helpers.js';

let redis: RedisServer;
let api: TestInstance;
before(async () => {
  redis = await startRedisServer();
  // An API without a worker of its own: the test is the worker.
  api = await startTestInstance({ REDIS_URL: redis.url, WEBHOOK_ALLOW_PRIVATE: true }, 'serve');
});
after(async () => {
  await api?.close();
  await redis?.stop();
});

it('creates the deliveries of a job that was stored but not followed up, when the job comes back', async () => {
  const { store, deliveries, models, events } = api.service;
  const webhook = await subscribe(api.app, { url: 'http://127.0.0.1:9/hook', rule: { objectIdPattern: '^ZTF-follow-up$' } });
  const accepted = await api.app.inject({ method: 'POST', url: '/classify', payload: realSpectrumBody('ZTF-follow-up') });
  assert.equal(accepted.statusCode, 202, accepted.body);
  const { jobId } = accepted.json();

  const followedUp: JobFinishedEvent[] = [];
  let crashes = 1;
  const process = classifyProcessor({
    store, models, events, log: pino({ level: 'silent' }), attempts: 3, leaseMs: 60_000,
    followUp: async (event) => {
      if (crashes-- > 0) throw new Error('worker died before creating deliveries');
      followedUp.push(event);
      await fanOut({ store, deliveries, models }, event);
    },
  });

  await assert.rejects(process(jobId), /worker died/);
  assert.equal((await store.getJob(jobId))?.status, 'completed');
  assert.equal((await deliveriesOf(api.app, webhook.id)).length, 0);

  await process(jobId); // the queue's retry of the unacknowledged job
  await process(jobId); // and a duplicate, which must change nothing
  const job = await store.getJob(jobId);
  assert.deepEqual(followedUp.map((e) => [e.type, e.classificationId]), [
    ['classification.completed', job?.classificationId],
    ['classification.completed', job?.classificationId],
  ]);
  const created = await deliveriesOf(api.app, webhook.id);
  assert.equal(created.length, 1);
  assert.equal((created[0].payload as { classification: { id: string } }).classification.id, job?.classificationId);
  const page = await store.listClassifications({ objectId: 'ZTF-follow-up' }, 10);
  assert.equal(page.items.length, 1);
});
