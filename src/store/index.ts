/**
 * Store selection: MongoDB (mongoose) when a URI is configured, else the embedded SQLite file
 * `<dataDir>/candela.sqlite`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProvenanceStore } from './provenance-store.js';

export type { NewJob, ProvenanceStore } from './provenance-store.js';
export { InvalidCursorError } from './provenance-store.js';
export { JobExistsError, UnknownJobError, UnknownObjectError } from './provenance-store.js';

export interface StoreOptions {
  /** MongoDB connection string; empty or absent selects SQLite. */
  mongodbUri?: string;
  /** Directory of the SQLite file (created when missing). */
  dataDir: string;
}

export const SQLITE_FILE_NAME = 'candela.sqlite';

export async function createStore(options: StoreOptions): Promise<ProvenanceStore> {
  const uri = options.mongodbUri?.trim();
  if (uri) {
    // Imported lazily so that an embedded deployment never loads mongoose, and vice versa.
    const { createMongoStore } = await import('./mongo-store.js');
    return createMongoStore(uri);
  }
  await mkdir(options.dataDir, { recursive: true });
  const { createSqliteStore } = await import('./sqlite-store.js');
  return createSqliteStore(join(options.dataDir, SQLITE_FILE_NAME));
}
