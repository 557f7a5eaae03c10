import type { FastifyPluginAsync } from 'fastify';
import { NotAnAlertError, toBrokerClassification } from '../src/formats/elasticc.js';
import { withLinks } from '../src/http/links.js';
import { notFound, sendProblem } from '../src/http/problem.js';
import type { Classification } from '../src/provenance/records.js';
import type { Service } from '../src/service.js';
import { idParams } from './jobs.js';
import { formatQuerySchema, problemResponses } from './schemas.js';

export type ResultFormat = 'candela' | 'elasticc';

/** A classification in the format asked for; throws NotAnAlertError for ELAsTiCC output of a non-alert. */
export async function formatClassification(service: Service, classification: Classification, format: ResultFormat) {
  if (format === 'candela') return withLinks(classification);
  const [datapoint] = await service.store.getDatapoints(classification.datapointIds);
  const model = service.models.get(`${classification.model.name}@${classification.model.version}`);
  return toBrokerClassification(classification, datapoint, model.card);
}

const classificationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string }; Querystring: { format: ResultFormat } }>('/classifications/:id', {
    schema: {
      tags: ['results'],
      summary: 'A classification: the confidence-aware output with its provenance links, or its ELAsTiCC brokerClassification',
      params: idParams,
      querystring: formatQuerySchema,
      response: { 200: { anyOf: [{ $ref: 'Classification#' }, { $ref: 'BrokerClassification#' }] }, ...problemResponses(404, 422) },
    },
  }, async (request, reply) => {
    const classification = await app.candela.store.getClassification(request.params.id);
    if (!classification) return notFound(reply, 'classification', request.params.id);
    try {
      return await formatClassification(app.candela, classification, request.query.format);
    } catch (error) {
      if (!(error instanceof NotAnAlertError)) throw error;
      return sendProblem(reply, { title: 'Not an alert', status: 422, detail: error.message, errors: [{ pointer: '?format', detail: 'elasticc output exists only for classifications of alerts' }] });
    }
  });
};

export default classificationRoutes;
