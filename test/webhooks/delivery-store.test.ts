/** The DeliveryStore contract against SQLite: a file, and :memory:. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createSqliteDeliveryStore } from '../../src/store/sqlite-delivery-store.js';
import { runDeliveryStoreContract } from './delivery-store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'candela-deliveries-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

runDeliveryStoreContract('sqlite (file)', () => createSqliteDeliveryStore(join(dir, `deliveries-${++counter}.sqlite`)));
runDeliveryStoreContract('sqlite (:memory:)', () => createSqliteDeliveryStore(':memory:'));
