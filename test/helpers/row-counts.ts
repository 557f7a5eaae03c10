import { join } from 'node:path';
import Database from 'better-sqlite3';

const tables = ['datapoints', 'objects', 'journal', 'jobs', 'classifications', 'traces'] as const;

/** Rows per table, read straight from the SQLite file: proof that a rejected request wrote nothing. */
export function rowCounts(dataDir: string): Record<(typeof tables)[number], number> {
  const db = new Database(join(dataDir, 'candela.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n])) as Record<(typeof tables)[number], number>;
  } finally {
    db.close();
  }
}
