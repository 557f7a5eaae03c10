import type { FastifyPluginAsync } from 'fastify';
import { jobLinks } from '../src/http/links.js';
import { notFound } from '../src/http/problem.js';
import { problemResponses } from './schemas.js';

export const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] } as const;

const jobRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string } }>('/jobs/:id', {
    schema: {
      tags: ['results'],
      summary: 'A job: status, attempts, history, and its classification once completed',
      params: idParams,
      response: { 200: { $ref: 'Job#' }, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const job = await app.candela.store.getJob(request.params.id);
    if (!job) return notFound(reply, 'job', request.params.id);
    return { ...job, links: jobLinks(job) };
  });
};

export default jobRoutes;
