/** MongoDB test databases: each store gets its own database, dropped when the store closes. */
import type { Connection } from 'mongoose';

export function dropDatabaseOnClose<T extends { connection: Connection; close(): Promise<void> }>(store: T): T {
  const close = store.close.bind(store);
  store.close = async () => {
    try {
      await store.connection.dropDatabase();
    } finally {
      await close();
    }
  };
  return store;
}
