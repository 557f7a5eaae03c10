import type { FastifyPluginAsync } from 'fastify';
import type { LoadedModel } from '../src/inference/ensemble-model.js';
import { problemResponses } from './schemas.js';

const cardSchema = { type: 'object', additionalProperties: true, description: 'The model card (card.json) as shipped with the artifact' } as const;

function summary(model: LoadedModel) {
  const { card } = model;
  return {
    name: card.name,
    version: card.version,
    modality: card.modality,
    description: card.description ?? '',
    classes: card.classes.fine,
    members: card.ensemble.members,
    executionProvider: model.executionProvider,
    traceId: model.trace.id,
    links: { card: `/models/${encodeURIComponent(card.name)}@${encodeURIComponent(card.version)}` },
  };
}

const modelRoutes: FastifyPluginAsync = async (app) => {
  const { models } = app.candela;

  app.get('/models', {
    schema: {
      tags: ['models'],
      summary: 'The models this instance serves',
      response: {
        200: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' }, version: { type: 'string' }, modality: { type: 'string' }, description: { type: 'string' },
              classes: { type: 'array', items: { type: 'string' } }, members: { type: 'integer' },
              executionProvider: { type: 'string' }, traceId: { type: 'string' },
              links: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        },
      },
    },
  }, async () => models.all().map(summary));

  app.get<{ Params: { name: string } }>('/models/:name', {
    schema: {
      tags: ['models'],
      summary: 'A model card: `name` for the newest version, `name@version` for another',
      params: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['name'] },
      response: { 200: cardSchema, ...problemResponses(404) },
    },
  }, async (request) => models.get(request.params.name).card);
};

export default modelRoutes;
