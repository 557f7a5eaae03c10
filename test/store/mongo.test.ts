/**
 * MongoStore: the contract suite against a real server when MONGODB_URI is set (each store in a fresh
 * database, dropped afterwards), and unit tests that need no server: schema validation, index definitions,
 * query building and document mapping.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mongoose from 'mongoose';
import {
  classificationSchema,
  datapointSchema,
  jobSchema,
  objectSchema,
  registerModels,
  traceSchema,
} from '../../models/index.js';
import type { Job } from '../../src/provenance/records.js';
import { encodeCursor, decodeCursor } from '../../src/store/cursor.js';
import {
  CLASSIFICATION_SORT,
  claimableQuery,
  classificationFromDoc,
  classificationQuery,
  classificationToDoc,
  createMongoStore,
  datapointFromDoc,
  datapointToDoc,
  isDuplicateKeyError,
  jobFromDoc,
  objectFromDoc,
  staleJobsQuery,
} from '../../src/store/mongo-store.js';
import { dropDatabaseOnClose } from '../helpers/mongo.js';
import { runStoreContract } from './contract.js';
import { classification, datapoint, trace } from './fixtures.js';

const uri = process.env.MONGODB_URI?.trim();
const skip = uri ? false : 'MONGODB_URI is not set: no MongoDB server to run the store contract against';
let counter = 0;

function mongoFactory(transactions: boolean | 'auto') {
  return async () => {
    const dbName = `candela_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
    return dropDatabaseOnClose(await createMongoStore(uri!, { dbName, transactions, serverSelectionTimeoutMS: 5000 }));
  };
}

runStoreContract('mongodb', mongoFactory('auto'), { skip });
runStoreContract('mongodb (ordered writes, no transactions)', mongoFactory(false), { skip });

// Models on a connection that never connects: enough for validation and index definitions.
const offline = mongoose.createConnection();
const models = registerModels(offline);
after(() => offline.close());

const job = { id: 'job-1', objectId: 'ZTF24aaabcde', datapointIds: [datapoint('ZTF24aaabcde', 1).id] };

function validJobDoc() {
  const at = new Date('2024-03-14T08:00:00.000Z');
  return {
    _id: 'job-1',
    objectId: 'ZTF24aaabcde',
    modality: 'spectrum',
    datapointIds: job.datapointIds,
    options: { alpha: 0.1, model: 'astranet-sedm' },
    status: 'queued',
    attempts: 0,
    history: [{ status: 'queued', at }],
    createdAt: at,
    updatedAt: at,
  };
}

describe('mongoose schemas: validation', () => {
  it('accepts valid documents built from real records', () => {
    assert.equal(new models.Job(validJobDoc()).validateSync(), undefined);
    assert.equal(new models.Datapoint(datapointToDoc(datapoint('ZTF24aaabcde', 1))).validateSync(), undefined);
    const c = classificationToDoc(classification(job, trace(0)));
    assert.equal(new models.Classification(c).validateSync(), undefined);
    const tr = trace(0);
    assert.equal(new models.Trace({ _id: tr.id, content: tr.content, createdAt: new Date(tr.createdAt) }).validateSync(), undefined);
    const at = new Date();
    const object = new models.AstroObject({
      _id: 'ZTF24aaabcde',
      firstSeen: at,
      lastSeen: at,
      journal: [{ at, event: 'received', jobId: 'job-1' }],
    });
    assert.equal(object.validateSync(), undefined);
    assert.deepEqual(object.aliases, [], 'aliases default to []');
  });

  it('rejects a bad job status, modality, missing fields and an alpha out of range', () => {
    const badStatus = new models.Job({ ...validJobDoc(), status: 'done' }).validateSync();
    assert.ok(badStatus?.errors.status);
    const badModality = new models.Job({ ...validJobDoc(), modality: 'radio' }).validateSync();
    assert.ok(badModality?.errors.modality);
    const { objectId: _o, ...noObject } = validJobDoc();
    assert.ok(new models.Job(noObject).validateSync()?.errors.objectId);
    const badAlpha = new models.Job({ ...validJobDoc(), options: { alpha: 1.5, model: 'astranet-sedm' } }).validateSync();
    assert.ok(badAlpha?.errors['options.alpha']);
    const badHistory = new models.Job({ ...validJobDoc(), history: [{ status: 'paused', at: new Date() }] }).validateSync();
    assert.ok(badHistory?.errors['history.0.status']);
    const negative = new models.Job({ ...validJobDoc(), attempts: -1 }).validateSync();
    assert.ok(negative?.errors.attempts);
  });

  it('rejects a bad decision and a classification without job id or result', () => {
    const doc = classificationToDoc(classification(job, trace(0)));
    assert.ok(new models.Classification({ ...doc, decision: 'MAYBE' }).validateSync()?.errors.decision);
    const { jobId: _j, ...noJob } = doc;
    assert.ok(new models.Classification(noJob).validateSync()?.errors.jobId);
    const { result: _r, ...noResult } = doc;
    assert.ok(new models.Classification(noResult).validateSync()?.errors.result);
    assert.ok(new models.Classification({ ...doc, model: { name: 'astranet-sedm' } }).validateSync()?.errors['model.version']);
  });

  it('rejects a bad datapoint modality, missing content, a bad journal event and a trace without content', () => {
    const dp = datapointToDoc(datapoint('ZTF24aaabcde', 1));
    assert.ok(new models.Datapoint({ ...dp, modality: 'radio' }).validateSync()?.errors.modality);
    const { content: _c, ...noContent } = dp;
    assert.ok(new models.Datapoint(noContent).validateSync()?.errors.content);
    assert.ok(new models.Datapoint({ ...dp, source: {} }).validateSync()?.errors['source.format']);
    const at = new Date();
    const badEvent = new models.AstroObject({
      _id: 'ZTF24aaabcde',
      firstSeen: at,
      lastSeen: at,
      journal: [{ at, event: 'exploded', jobId: 'job-1' }],
    }).validateSync();
    assert.ok(badEvent?.errors['journal.0.event']);
    const noFirstSeen = new models.AstroObject({ _id: 'ZTF24aaabcde', lastSeen: at }).validateSync();
    assert.ok(noFirstSeen?.errors.firstSeen);
    assert.ok(new models.Trace({ _id: 'abc', createdAt: at }).validateSync()?.errors.content);
  });
});

describe('mongoose schemas: indexes', () => {
  const has = (schema: mongoose.Schema, fields: Record<string, number>, unique = false) =>
    schema
      .indexes()
      .some(
        ([spec, opts]) =>
          JSON.stringify(spec) === JSON.stringify(fields) && (!unique || (opts as { unique?: boolean }).unique === true),
      );

  it('classifications: unique job id, and one index per filter ending in the list order', () => {
    assert.ok(has(classificationSchema, { jobId: 1 }, true), 'unique jobId');
    assert.ok(has(classificationSchema, { objectId: 1, createdAt: -1, _id: -1 }));
    assert.ok(has(classificationSchema, { traceId: 1, createdAt: -1, _id: -1 }));
    assert.ok(has(classificationSchema, { decision: 1, createdAt: -1, _id: -1 }));
    assert.ok(has(classificationSchema, { predictedClass: 1, createdAt: -1, _id: -1 }));
    assert.ok(has(classificationSchema, { createdAt: -1, _id: -1 }));
    assert.deepEqual(CLASSIFICATION_SORT, { createdAt: -1, _id: -1 });
  });

  it('jobs by status and update time / lease; datapoints and objects', () => {
    assert.ok(has(jobSchema, { status: 1, updatedAt: 1 }));
    assert.ok(has(jobSchema, { status: 1, leaseUntil: 1 }));
    assert.ok(has(datapointSchema, { objectId: 1 }));
    assert.ok(has(objectSchema, { aliases: 1 }));
    assert.equal(traceSchema.get('collection'), 'traces');
    assert.equal(classificationSchema.get('collection'), 'classifications');
  });
});

describe('query building', () => {
  it('an empty filter matches everything', () => {
    assert.deepEqual(classificationQuery({}), {});
  });

  it('one filter is a plain condition; the fine class maps to predictedClass', () => {
    assert.deepEqual(classificationQuery({ objectId: 'ZTF24aaabcde' }), { objectId: 'ZTF24aaabcde' });
    assert.deepEqual(classificationQuery({ class: 'SN Ia' }), { predictedClass: 'SN Ia' });
    assert.deepEqual(classificationQuery({ decision: 'ALERT' }), { decision: 'ALERT' });
    assert.deepEqual(classificationQuery({ traceId: 'abc' }), { traceId: 'abc' });
  });

  it('since/until are one inclusive date range', () => {
    assert.deepEqual(classificationQuery({ since: '2024-03-14T08:00:00Z', until: '2024-03-15T00:00:00.000Z' }), {
      createdAt: { $gte: new Date('2024-03-14T08:00:00.000Z'), $lte: new Date('2024-03-15T00:00:00.000Z') },
    });
    assert.throws(() => classificationQuery({ since: 'last week' }), RangeError);
  });

  it('combines filters and the cursor with $and; the cursor breaks createdAt ties by _id', () => {
    const position = decodeCursor(encodeCursor({ createdAt: '2024-03-14T08:00:03.000Z', id: 'cls-3' }));
    const at = new Date('2024-03-14T08:00:03.000Z');
    assert.deepEqual(classificationQuery({ objectId: 'ZTF24aaabcde', decision: 'COMMIT', since: '2024-03-01T00:00:00.000Z' }, position), {
      $and: [
        { objectId: 'ZTF24aaabcde' },
        { decision: 'COMMIT' },
        { createdAt: { $gte: new Date('2024-03-01T00:00:00.000Z') } },
        { $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'cls-3' } }] },
      ],
    });
    assert.deepEqual(classificationQuery({}, position), {
      $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'cls-3' } }],
    });
  });

  it('stale and claimable job queries', () => {
    const olderThan = new Date('2024-03-14T08:00:00.000Z');
    const now = new Date('2024-03-14T09:00:00.000Z');
    assert.deepEqual(staleJobsQuery(olderThan, now), {
      $or: [
        { status: 'queued', updatedAt: { $lt: olderThan } },
        { status: 'running', leaseUntil: { $lte: now } },
        { status: 'running', leaseUntil: null },
      ],
    });
    assert.deepEqual(claimableQuery('job-1', now), {
      _id: 'job-1',
      $or: [{ status: 'queued' }, { status: 'running', leaseUntil: { $lte: now } }, { status: 'running', leaseUntil: null }],
    });
  });

  it('queries cast against the schema without error', () => {
    const q = models.Classification.find(classificationQuery({ class: 'SN Ia', since: '2024-03-14T08:00:00Z' }));
    assert.deepEqual(q.getFilter(), { $and: [{ predictedClass: 'SN Ia' }, { createdAt: { $gte: new Date('2024-03-14T08:00:00.000Z') } }] });
  });
});

describe('document mapping', () => {
  it('round-trips classifications, copying decision and fine class to the top level', () => {
    const c = classification(job, trace(0), { fineClass: 'TDE', decision: 'ALERT', createdAt: '2024-03-14T08:00:00.000Z' });
    const doc = classificationToDoc(c);
    assert.equal(doc._id, c.id);
    assert.equal(doc.decision, 'ALERT');
    assert.equal(doc.predictedClass, 'TDE');
    assert.ok(doc.createdAt instanceof Date);
    assert.deepEqual(classificationFromDoc(doc), c);
    // And through a mongoose document (what is actually written).
    const written = new models.Classification(doc).toObject();
    assert.deepEqual(classificationFromDoc(written as never), c);
  });

  it('round-trips datapoints with null fluxes and without originId', () => {
    const dp = datapoint('ZTF24aaabcde', 2);
    assert.deepEqual(datapointFromDoc(new models.Datapoint(datapointToDoc(dp)).toObject() as never), dp);
    const bare = { ...dp, source: { format: 'csv' } };
    assert.deepEqual(datapointFromDoc(datapointToDoc(bare)), bare);
  });

  it('maps job and object documents to records, leaving absent fields out', () => {
    const doc = { ...validJobDoc(), leaseUntil: null } as never;
    const mapped: Job = jobFromDoc(doc);
    assert.equal(mapped.id, 'job-1');
    assert.equal(mapped.createdAt, '2024-03-14T08:00:00.000Z');
    assert.ok(!('leaseUntil' in mapped) && !('error' in mapped) && !('classificationId' in mapped));
    const at = new Date('2024-03-14T08:00:00.000Z');
    assert.deepEqual(
      objectFromDoc({ _id: 'ZTF24aaabcde', aliases: ['SN 2024abc'], firstSeen: at, lastSeen: at, journal: [{ at, event: 'received', jobId: 'job-1' }] }),
      {
        objectId: 'ZTF24aaabcde',
        aliases: ['SN 2024abc'],
        firstSeen: '2024-03-14T08:00:00.000Z',
        lastSeen: '2024-03-14T08:00:00.000Z',
        journal: [{ at: '2024-03-14T08:00:00.000Z', event: 'received', jobId: 'job-1' }],
      },
    );
  });

  it('recognises duplicate-key errors', () => {
    assert.ok(isDuplicateKeyError({ code: 11000 }));
    assert.ok(isDuplicateKeyError({ writeErrors: [{ code: 11000 }] }));
    assert.ok(!isDuplicateKeyError({ code: 121 }));
    assert.ok(!isDuplicateKeyError(new Error('x')));
    assert.ok(!isDuplicateKeyError(null));
  });
});

describe('createMongoStore', () => {
  it('rejects, and closes its connection, when the server cannot be reached', async () => {
    await assert.rejects(createMongoStore('mongodb://127.0.0.1:9/candela', { serverSelectionTimeoutMS: 300 }));
  });
});
