import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../src/http/problem.js';
import { classificationPage } from './pages.js';
import { pageQuerySchema, problemResponses } from './schemas.js';

const objectParams = { type: 'object', properties: { objectId: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['objectId'] } as const;

const objectRoutes: FastifyPluginAsync = async (app) => {
  const { store } = app.candela;

  app.get<{ Params: { objectId: string } }>('/objects/:objectId', {
    schema: {
      tags: ['results'],
      summary: 'An object: aliases, first and last seen, and the journal of what was done to it',
      params: objectParams,
      response: { 200: { $ref: 'AstroObject#' }, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const object = await store.getObject(request.params.objectId);
    if (!object) return notFound(reply, 'object', request.params.objectId);
    const id = encodeURIComponent(object.objectId);
    return { ...object, links: { self: `/objects/${id}`, classifications: `/objects/${id}/classifications` } };
  });

  app.get<{ Params: { objectId: string }; Querystring: { first: number; after?: string } }>('/objects/:objectId/classifications', {
    schema: {
      tags: ['results'],
      summary: "An object's classifications, newest first",
      params: objectParams,
      querystring: pageQuerySchema,
      response: { 200: { $ref: 'ClassificationPage#' }, ...problemResponses(400, 404) },
    },
  }, async (request, reply) => {
    const object = await store.getObject(request.params.objectId);
    if (!object) return notFound(reply, 'object', request.params.objectId);
    return classificationPage(await store.listClassifications({ objectId: object.objectId }, request.query.first, request.query.after));
  });
};

export default objectRoutes;
