import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createStore, SQLITE_FILE_NAME } from '../../src/store/index.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore, createSqliteStore } from '../../src/store/sqlite-store.js';
import { runStoreContract } from './contract.js';
import { classification, datapoint, newJob, trace } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'candela-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

runStoreContract('sqlite (file)', async () => createSqliteStore(join(dir, `contract-${++counter}.sqlite`)));
runStoreContract('sqlite (:memory:)', async () => createSqliteStore(':memory:'));

describe('SqliteStore', () => {
  it('opens the file in WAL mode with foreign keys on and a schema version', async () => {
    const file = join(dir, 'pragmas.sqlite');
    const store = new SqliteStore(file);
    try {
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.schemaVersion, SQLITE_SCHEMA_VERSION);
      assert.ok(SQLITE_SCHEMA_VERSION >= 1);
      const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map(
        (r) => r.name,
      );
      for (const name of [
        'classifications_object',
        'classifications_trace',
        'classifications_decision',
        'classifications_class',
        'classifications_created',
        'jobs_status_updated',
        'journal_object',
      ]) {
        assert.ok(indexes.includes(name), `index ${name}`);
      }
    } finally {
      await store.close();
    }
  });

  it('keeps its data across close and reopen, and reopening is idempotent', async () => {
    const file = join(dir, 'reopen.sqlite');
    let store = new SqliteStore(file);
    const dp = datapoint('ZTF24reopenaa', 1);
    const job = await store.submitJob(newJob('ZTF24reopenaa', [dp]));
    await store.claimJob(job.id, 60_000);
    const tr = trace(0);
    const c = await store.completeJob(classification(job, tr), tr);
    const object = await store.getObject('ZTF24reopenaa');
    await store.close();
    await assert.rejects(store.ping(), 'a closed store is not ready');

    store = new SqliteStore(file);
    try {
      await store.ping();
      assert.equal(store.schemaVersion, SQLITE_SCHEMA_VERSION);
      assert.equal((await store.getJob(job.id))?.status, 'completed');
      assert.deepEqual(await store.getClassification(c.id), c);
      assert.deepEqual(await store.getTrace(tr.id), tr);
      assert.deepEqual(await store.getDatapoints([dp.id]), [dp]);
      assert.deepEqual(await store.getObject('ZTF24reopenaa'), object);
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(dir, 'future.sqlite');
    const db = new Database(file);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => new SqliteStore(file), /newer/);
  });

  it('rolls back a half-done submit (constraint failure inside the transaction)', async () => {
    const store = new SqliteStore(':memory:');
    try {
      const bad = { ...datapoint('ZTF24rollback', 1), modality: 'radio' as never };
      await assert.rejects(store.submitJob(newJob('ZTF24rollback', [datapoint('ZTF24rollback', 2), bad])));
      assert.equal(await store.getObject('ZTF24rollback'), null);
      assert.deepEqual(await store.getDatapoints([datapoint('ZTF24rollback', 2).id]), []);
    } finally {
      await store.close();
    }
  });
});

describe('createStore', () => {
  it('makes the data directory and opens SQLite there when no MongoDB URI is given', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const store = await createStore({ dataDir, mongodbUri: '' });
    try {
      assert.equal(store.kind, 'sqlite');
      await store.ping();
      assert.ok(existsSync(join(dataDir, SQLITE_FILE_NAME)));
    } finally {
      await store.close();
    }
  });
});
