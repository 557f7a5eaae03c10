import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../src/http/problem.js';
import { idParams } from './jobs.js';
import { classificationPage } from './pages.js';
import { pageQuerySchema, problemResponses } from './schemas.js';

const traceRoutes: FastifyPluginAsync = async (app) => {
  const { store } = app.candela;
  app.get<{ Params: { id: string }; Querystring: { first: number; after?: string } }>('/traces/:id', {
    schema: {
      tags: ['results'],
      summary: 'A trace (model files, calibration, preprocessing, service and runtime versions) and the classifications made under it',
      params: idParams,
      querystring: pageQuerySchema,
      response: {
        200: {
          type: 'object',
          properties: { trace: { $ref: 'Trace#' }, classifications: { $ref: 'ClassificationPage#' } },
          required: ['trace', 'classifications'],
        },
        ...problemResponses(400, 404),
      },
    },
  }, async (request, reply) => {
    const trace = await store.getTrace(request.params.id);
    if (!trace) return notFound(reply, 'trace', request.params.id);
    return { trace, classifications: classificationPage(await store.listClassifications({ traceId: trace.id }, request.query.first, request.query.after)) };
  });
};

export default traceRoutes;
