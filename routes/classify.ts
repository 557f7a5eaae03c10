/** POST /classify: a spectrum in (SkyPortal JSON or plain ASCII), a job out — or the result, with ?wait. */
import type { FastifyPluginAsync } from 'fastify';
import { waitForJob } from '../src/events/wait-for-job.js';
import { classificationLinks, jobLinks } from '../src/http/links.js';
import { sendProblem } from '../src/http/problem.js';
import { spectrumFromAscii, spectrumFromSkyPortal, type SkyPortalSpectrum } from '../src/inputs/spectrum.js';
import { spectrumLimits } from '../src/preprocess/spectrum.js';
import { submitObservation } from '../src/intake.js';
import { problemResponses } from './schemas.js';

const querystring = {
  type: 'object',
  properties: {
    alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05, description: 'Miscoverage level of the prediction set' },
    model: { type: 'string', maxLength: 200, description: 'name or name@version (default: the configured spectrum model, newest version)' },
    wait: { type: 'integer', minimum: 0, default: 0, description: 'ms to wait for the result before answering 202' },
    objectId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/?#]+$', description: 'object id for an ASCII upload (JSON bodies use obj_id)' },
    redshift: { type: 'number', minimum: 0, maximum: 12 },
    phase: { type: 'number' },
    instrument: { type: 'string', maxLength: 200 },
    observedAt: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;

interface ClassifyQuery {
  alpha: number;
  model?: string;
  wait: number;
  objectId?: string;
  redshift?: number;
  phase?: number;
  instrument?: string;
  observedAt?: string;
}

const acceptedSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    objectId: { type: 'string' },
    status: { type: 'string' },
    links: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['jobId', 'objectId', 'status', 'links'],
} as const;

const classifyRoutes: FastifyPluginAsync = async (app) => {
  const { store, events, queue, models, config, metrics } = app.candela;

  app.post<{ Querystring: ClassifyQuery; Body: SkyPortalSpectrum | string }>('/classify', {
    schema: {
      tags: ['classify'],
      summary: 'Classify a spectrum',
      description: 'Accepts a SkyPortal spectrum JSON object or a plain two/three-column ASCII spectrum (text/plain). Answers 202 with the job, or 200 with the classification when it finished within `wait` ms.',
      querystring,
      body: {
        content: {
          'application/json': { schema: { $ref: 'SkyPortalSpectrum#' } },
          'text/plain': { schema: { type: 'string', minLength: 1, description: 'wavelength flux [error] per line; # header lines allowed' } },
        },
      },
      response: {
        200: {
          description: 'Finished within `wait`: completed with its classification, or failed with the error',
          type: 'object',
          properties: {
            ...acceptedSchema.properties,
            classification: { $ref: 'Classification#' },
            error: { type: 'object', properties: { title: { type: 'string' }, detail: { type: 'string' } } },
          },
          required: ['jobId', 'objectId', 'status', 'links'],
        },
        202: { description: 'Accepted; poll links.self', ...acceptedSchema },
        ...problemResponses(400, 404, 413, 415, 422),
      },
    },
  }, async (request, reply) => {
    const { query } = request;
    if (query.wait > config.WAIT_MAX_MS) {
      return sendProblem(reply, {
        title: 'Invalid request', status: 400,
        detail: `wait may be at most ${config.WAIT_MAX_MS} ms`, errors: [{ pointer: '?wait', detail: `must be <= ${config.WAIT_MAX_MS}` }],
      });
    }
    const model = models.get(query.model ?? config.DEFAULT_SPECTRUM_MODEL);
    const limits = spectrumLimits(model.card.input.preprocessing);
    const ascii = typeof request.body === 'string';
    const spectrum = ascii
      ? spectrumFromAscii(request.body as string, query, limits)
      : spectrumFromSkyPortal(request.body as SkyPortalSpectrum, limits);
    const format = ascii ? 'ascii' : 'skyportal-json';
    const observation = { objectId: spectrum.objectId, modality: 'spectrum' as const, content: spectrum.content, format };
    const job = await submitObservation(store, queue.queue, { observation, model, alpha: query.alpha }, request.log);
    metrics.jobsSubmitted.inc({ modality: 'spectrum', format });

    const finished = query.wait > 0 ? await waitForJob(store, events, job.id, query.wait) : job;
    const current = finished ?? job;
    reply.header('location', `/jobs/${encodeURIComponent(job.id)}`);
    if (current.status === 'completed' && current.classificationId) {
      const classification = await store.getClassification(current.classificationId);
      if (classification) {
        return reply.code(200).send({
          jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current),
          classification: { ...classification, links: classificationLinks(classification) },
        });
      }
    }
    if (current.status === 'failed') {
      return reply.code(200).send({ jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current), error: current.error });
    }
    return reply.code(202).send({ jobId: job.id, objectId: job.objectId, status: current.status, links: jobLinks(current) });
  });
};

export default classifyRoutes;
