/**
 * MongoDeliveryStore: the DeliveryStore contract against a real server when MONGODB_URI is set (a fresh
 * database per store, dropped afterwards), and unit tests that need no server: schema validation, index
 * definitions, query building and document mapping.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mongoose from 'mongoose';
import { analysisRequestSchema, deliverySchema, registerDeliveryModels, webhookSchema } from '../../models/delivery.js';
import { encodeCursor } from '../../src/store/cursor.js';
import {
  attemptFromDoc,
  claimableDeliveryQuery,
  createMongoDeliveryStore,
  deliveriesPageQuery,
  deliveryFromDoc,
  dueDeliveriesQuery,
  webhookFromDoc,
} from '../../src/store/mongo-delivery-store.js';
import { InvalidCursorError } from '../../src/store/provenance-store.js';
import { dropDatabaseOnClose } from '../helpers/mongo.js';
import { runDeliveryStoreContract } from './delivery-store-contract.js';

const uri = process.env.MONGODB_URI?.trim();
let counter = 0;

runDeliveryStoreContract('mongodb', async () => (
  dropDatabaseOnClose(await createMongoDeliveryStore(uri!, { dbName: `candela_deliveries_${process.pid}_${++counter}`, serverSelectionTimeoutMS: 5000 }))
), { skip: uri ? false : 'MONGODB_URI is not set: no MongoDB server to run the delivery store contract against' });

// Models on a connection that never connects: enough for validation and index definitions.
const offline = mongoose.createConnection();
const models = registerDeliveryModels(offline);
after(() => offline.close());

const at = new Date('2026-11-23T20:00:00.000Z');
const deliveryDoc = () => ({
  _id: 'dlv_1', kind: 'webhook', webhookId: 'whk_1', url: 'https://example.org/hook', payload: { event: 'classification.completed' },
  status: 'pending', attempts: 0, maxAttempts: 8, nextAttemptAt: at, attemptLog: [], createdAt: at, updatedAt: at,
});

describe('MongoDeliveryStore without a server', () => {
  it('validates deliveries: kinds, statuses, attempt outcomes and required fields', async () => {
    await new models.Delivery(deliveryDoc()).validate();
    await assert.rejects(new models.Delivery({ ...deliveryDoc(), status: 'lost' }).validate(), /status/);
    await assert.rejects(new models.Delivery({ ...deliveryDoc(), kind: 'email' }).validate(), /kind/);
    await assert.rejects(new models.Delivery({ ...deliveryDoc(), url: undefined }).validate(), /url/);
    await assert.rejects(new models.Delivery({ ...deliveryDoc(), attemptLog: [{ number: 1, startedAt: at, durationMs: 5, outcome: 'maybe' }] }).validate(), /outcome/);
  });

  it('validates subscriptions and analysis requests', async () => {
    const webhook = { _id: 'whk_1', target: 'webhook', url: 'https://example.org/hook', rule: {}, active: true, secret: 's3cret', secretHint: '…cret', createdAt: at, updatedAt: at };
    await new models.Webhook(webhook).validate();
    await assert.rejects(new models.Webhook({ ...webhook, target: 'ftp' }).validate(), /target/);
    await assert.rejects(new models.Webhook({ ...webhook, secret: '' }).validate(), /secret/);
    await assert.rejects(new models.Webhook({ ...webhook, skyportal: { origin: 'candela' } }).validate(), /taxonomyId/);
    await assert.rejects(new models.AnalysisRequest({ _id: 'ana_1', objectId: 'ZTF1', resourceType: 'obj', resourceId: 'ZTF1', createdAt: at }).validate(), /callbackUrl|invalidAfter/);
  });

  it('indexes what the worker, the reconciler and the log ask', () => {
    const keys = (schema: mongoose.Schema) => schema.indexes().map(([fields, options]) => [fields, options?.unique ?? false]);
    assert.deepEqual(keys(deliverySchema), [
      [{ webhookId: 1, createdAt: -1, _id: -1 }, false],
      [{ status: 1, nextAttemptAt: 1 }, false],
      [{ status: 1, leaseUntil: 1 }, false],
    ]);
    assert.deepEqual(keys(analysisRequestSchema), [[{ jobId: 1 }, true]]);
    assert.deepEqual(keys(webhookSchema), [[{ active: 1, createdAt: 1 }, false]]);
  });

  it('builds the claim, due and page queries', () => {
    const now = new Date('2026-11-23T21:00:00.000Z');
    assert.deepEqual(claimableDeliveryQuery('dlv_1', now), { _id: 'dlv_1', $or: [{ status: 'pending' }, { status: 'delivering', leaseUntil: { $lte: now } }] });
    assert.deepEqual(dueDeliveriesQuery(now), { $or: [{ status: 'pending', nextAttemptAt: { $lte: now } }, { status: 'delivering', leaseUntil: { $lte: now } }] });
    assert.deepEqual(deliveriesPageQuery('whk_1'), { webhookId: 'whk_1' });
    const cursor = encodeCursor({ createdAt: '2026-11-23T20:00:00.000Z', id: 'dlv_9' });
    assert.deepEqual(deliveriesPageQuery('whk_1', cursor), { webhookId: 'whk_1', $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'dlv_9' } }] });
    assert.throws(() => deliveriesPageQuery('whk_1', 'not-a-cursor!'), InvalidCursorError);
  });

  it('maps documents to records, dropping unset optional fields', () => {
    const delivery = deliveryFromDoc({ ...deliveryDoc(), leaseUntil: null, invalidAfter: at, lastError: null } as never);
    assert.deepEqual(delivery, {
      id: 'dlv_1', kind: 'webhook', webhookId: 'whk_1', url: 'https://example.org/hook', payload: { event: 'classification.completed' }, status: 'pending',
      attempts: 0, maxAttempts: 8, nextAttemptAt: at.toISOString(), invalidAfter: at.toISOString(), createdAt: at.toISOString(), updatedAt: at.toISOString(),
    });
    assert.deepEqual(attemptFromDoc('dlv_1', { number: 2, startedAt: at, durationMs: 30, statusCode: 503, outcome: 'retry', retryInMs: 4000, retryAfterHonoured: true, error: null }), {
      deliveryId: 'dlv_1', number: 2, startedAt: at.toISOString(), durationMs: 30, statusCode: 503, outcome: 'retry', retryInMs: 4000, retryAfterHonoured: true,
    });
    const webhook = webhookFromDoc({ _id: 'whk_1', target: 'skyportal', url: 'https://fritz.science', rule: {}, active: true, secret: 't', secretHint: '…t', skyportal: { taxonomyId: 7, origin: 'candela' }, createdAt: at, updatedAt: at });
    assert.deepEqual(webhook.skyportal, { taxonomyId: 7, origin: 'candela' });
  });
});
