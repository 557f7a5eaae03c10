/**
 * The HTTP face of Candela: REST routes, GraphQL and the OpenAPI document, all from the same JSON Schemas.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import graphqlPlugin from '../graphql/plugin.js';
import classifyRoutes from '../routes/classify.js';
import batchRoutes from '../routes/classify-batch.js';
import classificationRoutes from '../routes/classifications.js';
import healthRoutes from '../routes/health.js';
import jobRoutes from '../routes/jobs.js';
import modelRoutes from '../routes/models.js';
import objectRoutes from '../routes/objects.js';
import traceRoutes from '../routes/traces.js';
import webhookRoutes from '../routes/webhooks.js';
import skyportalRoutes from '../routes/skyportal.js';
import { sharedSchemas } from '../routes/schemas.js';
import { problemSchema, registerProblemHandlers } from './http/problem.js';
import { validatorCompiler } from './http/validation.js';
import type { Service } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    candela: Service;
  }
}

export async function buildApp(service: Service): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: service.log as FastifyBaseLogger,
    bodyLimit: service.config.BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorate('candela', service);
  registerProblemHandlers(app, (status) => service.metrics.inputsRejected.inc({ status: String(status) }));
  app.addHook('onResponse', async (request, reply) => {
    service.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.addSchema(problemSchema);
  for (const schema of sharedSchemas) app.addSchema(schema);
  app.setValidatorCompiler(validatorCompiler([problemSchema, ...sharedSchemas]));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Candela',
        version: service.version.version,
        description: 'Confidence-aware classification of astronomical transients, with provenance.',
        license: { name: 'MIT' },
      },
      tags: [
        { name: 'classify', description: 'Submit inputs for classification' },
        { name: 'results', description: 'Jobs, classifications, objects and traces' },
        { name: 'models', description: 'Model cards' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'delivery', description: 'Webhooks, pushes into SkyPortal, and the SkyPortal analysis service' },
      ],
    },
    // GraphiQL's own assets are not part of the API.
    transform: ({ schema, url }) => ({ schema: url.startsWith('/graphiql') ? { ...schema, hide: true } : schema, url }),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes);
  if (service.role !== 'worker') {
    await app.register(classifyRoutes);
    await app.register(batchRoutes);
    await app.register(jobRoutes);
    await app.register(classificationRoutes);
    await app.register(objectRoutes);
    await app.register(traceRoutes);
    await app.register(modelRoutes);
    await app.register(webhookRoutes);
    await app.register(skyportalRoutes);
    await app.register(graphqlPlugin);
  }
  return app;
}
