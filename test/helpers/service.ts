/** A real Candela instance for tests: temporary SQLite store, the committed artifacts, silent logs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startService, type Role, type Service } from '../../src/service.js';

/** The committed artifacts, or another model repository named by CANDELA_TEST_MODELS_DIR. */
export const modelsDir = process.env.CANDELA_TEST_MODELS_DIR ?? new URL('../../artifacts', import.meta.url).pathname;

export interface TestInstance {
  service: Service;
  app: FastifyInstance;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestInstance(overrides: Partial<Config> = {}, role: Role = 'all'): Promise<TestInstance> {
  const dataDir = overrides.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'candela-test-'));
  const config = loadConfig({}, {
    DATA_DIR: dataDir,
    MODELS_DIR: modelsDir,
    LOG_LEVEL: 'silent',
    CANDELA_COMMIT: 'test',
    RECONCILE_INTERVAL_MS: 0,
    BATCH_DELAY_MS: 2,
    ...overrides,
  });
  const service = await startService(config, role, pino({ level: 'silent' }));
  const app = await buildApp(service);
  await app.ready();
  return {
    service,
    app,
    dataDir,
    async close() {
      await app.close();
      await service.stop();
      if (!overrides.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
