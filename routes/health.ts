import type { FastifyPluginAsync } from 'fastify';

const statusSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    role: { type: 'string' },
    version: { type: 'string' },
    commit: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const healthRoutes: FastifyPluginAsync = async (app) => {
  const { store, queue, models, metrics, role, version } = app.candela;

  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: statusSchema } },
  }, async () => ({ status: 'ok', role, ...version }));

  app.get('/readyz', {
    schema: { tags: ['operations'], summary: 'Readiness: store, queue and models usable', response: { 200: statusSchema, 503: statusSchema } },
  }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await probe();
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = error instanceof Error ? error.message : String(error);
      }
    };
    await check('store', () => store.ping());
    await check('queue', () => queue.queue.ping());
    checks.models = models.all().length > 0 ? 'ok' : 'no models loaded';
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', role, ...version, checks });
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics', response: { 200: { type: 'string' } } },
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

export default healthRoutes;
