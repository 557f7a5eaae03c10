import { envSchema } from 'env-schema';

/**
 * Configuration from environment variables, validated at start-up. Every variable is listed in the README;
 * `configSchema` is the single source of that table.
 */
export const configSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' },
    HOST: { type: 'string', default: '127.0.0.1', description: 'HTTP bind address (0.0.0.0 in containers)' },
    DATA_DIR: { type: 'string', default: './data', description: 'Directory of the embedded SQLite store' },
    REDIS_URL: { type: 'string', default: '', description: 'Redis for BullMQ and events; empty = in-process queue' },
    MONGODB_URI: { type: 'string', default: '', description: 'MongoDB for the provenance store; empty = SQLite' },
    MODELS_DIR: { type: 'string', default: './artifacts', description: 'Model repository (artifacts/<name>/<version>/)' },
    DEFAULT_SPECTRUM_MODEL: { type: 'string', default: 'spectrum-astranet', description: 'Model used for spectra when a request names none' },
    DEFAULT_LIGHTCURVE_MODEL: { type: 'string', default: 'lightcurve-astranet', description: 'Model used for light curves and alerts when a request names none' },
    ORT_PROVIDERS: { type: 'string', default: 'cpu', pattern: '^(cuda|webgpu|cpu)(,(cuda|webgpu|cpu))*$', description: 'Execution providers to try, in order' },
    ORT_INTRA_OP_THREADS: { type: 'integer', minimum: 0, default: 0, description: 'ONNX Runtime intra-op threads (0 = one per core)' },
    ORT_CPU_ARENA: { type: 'boolean', default: false, description: 'Use ONNX Runtime\'s growing CPU memory arena' },
    BATCH_MAX: { type: 'integer', minimum: 1, maximum: 1024, default: 32, description: 'Most items in one ONNX Runtime run' },
    BATCH_DELAY_MS: { type: 'integer', minimum: 0, maximum: 10000, default: 5, description: 'Longest wait to fill a batch' },
    WORKER_CONCURRENCY: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Jobs a worker holds at once (feeds the batcher)' },
    JOB_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 20, default: 3, description: 'Attempts before a job is failed' },
    JOB_LEASE_MS: { type: 'integer', minimum: 1000, default: 60000, description: 'A running job older than this is taken over' },
    RECONCILE_INTERVAL_MS: { type: 'integer', minimum: 0, default: 15000, description: 'How often lost jobs are re-enqueued (0 = never)' },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 10485760, description: 'Largest accepted request body' },
    BATCH_BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 268435456, description: 'Largest accepted body of POST /classify/batch (1,000 ZTF alerts with cutouts are about 70 MB)' },
    WAIT_MAX_MS: { type: 'integer', minimum: 0, default: 60000, description: 'Largest accepted ?wait' },
    GRAPHQL_MAX_DEPTH: { type: 'integer', minimum: 1, default: 8, description: 'Deepest accepted GraphQL query' },
    GRAPHQL_MAX_COMPLEXITY: { type: 'integer', minimum: 1, default: 5000, description: 'Largest accepted GraphQL query cost (fields x page sizes)' },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level' },
    CANDELA_COMMIT: { type: 'string', default: '', description: 'Commit recorded in traces (default: git rev-parse HEAD)' },
    SKYPORTAL_ANALYSIS_TOKEN: { type: 'string', default: '', description: 'When set, /skyportal/analysis requires `Authorization: Bearer <token>` (register Candela in SkyPortal with authentication_type "header_token")' },
    WEBHOOK_ALLOW_PRIVATE: { type: 'boolean', default: false, description: 'Allow webhook, SkyPortal and callback targets on loopback, private and link-local addresses (local set-ups, tests)' },
    DELIVERY_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 30, default: 8, description: 'Attempts per delivery before it is dead-lettered' },
    DELIVERY_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 300000, default: 10000, description: 'Longest wait for a receiver to answer one attempt' },
    DELIVERY_BACKOFF_BASE_MS: { type: 'integer', minimum: 1, default: 2000, description: 'First retry delay; doubled per attempt, with jitter' },
    DELIVERY_BACKOFF_MAX_MS: { type: 'integer', minimum: 1, default: 3600000, description: 'Longest retry delay (also caps Retry-After)' },
    DELIVERY_LEASE_MS: { type: 'integer', minimum: 1000, default: 60000, description: 'An attempt in flight longer than this (a crashed worker) is taken over; keep above DELIVERY_TIMEOUT_MS' },
    DELIVERY_CONCURRENCY: { type: 'integer', minimum: 1, maximum: 1024, default: 16, description: 'Deliveries a worker sends at once' },
  },
} as const;

export interface Config {
  PORT: number;
  HOST: string;
  DATA_DIR: string;
  REDIS_URL: string;
  MONGODB_URI: string;
  MODELS_DIR: string;
  DEFAULT_SPECTRUM_MODEL: string;
  DEFAULT_LIGHTCURVE_MODEL: string;
  ORT_PROVIDERS: string;
  ORT_INTRA_OP_THREADS: number;
  ORT_CPU_ARENA: boolean;
  BATCH_MAX: number;
  BATCH_DELAY_MS: number;
  WORKER_CONCURRENCY: number;
  JOB_ATTEMPTS: number;
  JOB_LEASE_MS: number;
  RECONCILE_INTERVAL_MS: number;
  BODY_LIMIT_BYTES: number;
  BATCH_BODY_LIMIT_BYTES: number;
  WAIT_MAX_MS: number;
  GRAPHQL_MAX_DEPTH: number;
  GRAPHQL_MAX_COMPLEXITY: number;
  LOG_LEVEL: string;
  CANDELA_COMMIT: string;
  SKYPORTAL_ANALYSIS_TOKEN: string;
  WEBHOOK_ALLOW_PRIVATE: boolean;
  DELIVERY_ATTEMPTS: number;
  DELIVERY_TIMEOUT_MS: number;
  DELIVERY_BACKOFF_BASE_MS: number;
  DELIVERY_BACKOFF_MAX_MS: number;
  DELIVERY_LEASE_MS: number;
  DELIVERY_CONCURRENCY: number;
}

/** Reads and validates the environment; throws with every invalid variable named. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const config = envSchema<Config>({ schema: configSchema, data: env, dotenv: false });
  return { ...config, ...overrides };
}

export type ExecutionProvider = 'cuda' | 'webgpu' | 'cpu';

export function executionProviders(config: Config): ExecutionProvider[] {
  return config.ORT_PROVIDERS.split(',') as ExecutionProvider[];
}
