/**
 * `candela [all|serve|worker]` — one entry point, three roles:
 *   all     API + worker in one process (embedded default: SQLite, in-process queue, CPU)
 *   serve   API only; needs REDIS_URL (and MONGODB_URI when replicas must share a store)
 *   worker  queue consumer only, with /healthz, /readyz and /metrics; needs REDIS_URL
 */
import pino from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { startService, type Role } from './service.js';

const roles: Role[] = ['all', 'serve', 'worker'];

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!roles.includes(role)) {
    process.stderr.write(`usage: candela [${roles.join('|')}]\n`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`invalid configuration: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ level: config.LOG_LEVEL });
  const service = await startService(config, role, log);
  const app = await buildApp(service);
  await app.listen({ port: config.PORT, host: config.HOST });
  log.info({ role, store: service.store.kind, queue: service.queue.kind, models: service.models.references() }, 'candela started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await service.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`candela failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
