import type { FastifyPluginAsync } from 'fastify';
import { withLinks } from '../src/http/links.js';
import { notFound } from '../src/http/problem.js';
import { idParams } from './jobs.js';
import { problemResponses } from './schemas.js';

const classificationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string } }>('/classifications/:id', {
    schema: {
      tags: ['results'],
      summary: 'A classification: the confidence-aware output with its provenance links',
      params: idParams,
      response: { 200: { $ref: 'Classification#' }, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const classification = await app.candela.store.getClassification(request.params.id);
    if (!classification) return notFound(reply, 'classification', request.params.id);
    return withLinks(classification);
  });
};

export default classificationRoutes;
