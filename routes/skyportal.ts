/** SkyPortal's analysis-service endpoint: register `<candela>/skyportal/analysis` in SkyPortal (README). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound, sendProblem } from '../src/http/problem.js';
import { startAnalysis, type AnalysisRequestBody } from '../src/skyportal/analysis.js';
import { callbackDeliveryId } from '../src/skyportal/callback.js';
import { idParams } from './jobs.js';
import { problemResponses } from './schemas.js';

const csv = { type: 'string', maxLength: 50_000_000 } as const;

const analysisRequestSchema = {
  type: 'object',
  description: 'The request SkyPortal sends to an analysis service',
  properties: {
    callback_url: { type: 'string', format: 'uri', maxLength: 4096, description: "SkyPortal's single-use webhook URL for the result" },
    callback_method: { type: 'string', enum: ['POST'] },
    invalid_after: { type: 'string', minLength: 1, maxLength: 64, description: 'no result is sent after this time' },
    analysis_resource_type: { type: 'string', minLength: 1, maxLength: 100 },
    resource_id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/?#]+$' },
    analysis_parameters: { type: 'object', description: '`alpha` (default 0.05) and `model` (name or name@version)' },
    inputs: {
      type: 'object',
      properties: {
        spectra: { ...csv, description: 'CSV with a column-name line: wavelength, flux and optionally error columns' },
        photometry: { ...csv, description: 'SkyPortal photometry CSV' },
        redshift: { ...csv, description: 'CSV with a `redshift` column' },
        analysis_parameters: { type: 'object' },
      },
    },
  },
  required: ['callback_url', 'callback_method', 'invalid_after', 'analysis_resource_type', 'resource_id', 'inputs'],
} as const;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * With SKYPORTAL_ANALYSIS_TOKEN set, every request must carry it as a bearer token: what SkyPortal sends for an
 * analysis service registered with `authentication_type: "header_token"`. Compared in constant time.
 */
function requireToken(token: string) {
  const expected = digest(`Bearer ${token}`);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = request.headers.authorization;
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="candela-skyportal-analysis"');
    return sendProblem(reply, {
      title: 'Unauthorized', status: 401,
      detail: given === undefined ? 'this analysis service needs an Authorization: Bearer token' : 'the bearer token is not this service\'s',
      errors: [{ pointer: 'Authorization', detail: given === undefined ? 'is missing' : 'does not match' }],
    });
  };
}

const skyportalRoutes: FastifyPluginAsync = async (app) => {
  const token = app.candela.config.SKYPORTAL_ANALYSIS_TOKEN;
  if (token) app.addHook('onRequest', requireToken(token));
  app.post<{ Body: AnalysisRequestBody }>('/skyportal/analysis', {
    schema: {
      tags: ['delivery'],
      summary: 'SkyPortal analysis service: accept, classify, and POST the result to callback_url',
      description: 'Answers at once; the result (`{status, message, analysis: {results: {format: "json", data}}}`) goes to `callback_url` before `invalid_after`. Photometry alone is answered with `status: "failure"` until a light-curve model is loaded.',
      body: analysisRequestSchema,
      response: {
        200: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['pending'] },
            message: { type: 'string' },
            analysisId: { type: 'string' },
            jobId: { type: 'string' },
          },
          required: ['status', 'message', 'analysisId'],
        },
        ...problemResponses(400, 401, 404, 413, 422),
      },
    },
  }, async (request) => {
    const started = await startAnalysis(app.candela, request.body, request.log);
    return { status: 'pending' as const, message: `Candela: analysis ${started.analysisId} started`, ...started };
  });

  app.get<{ Params: { id: string } }>('/skyportal/analysis/:id', {
    schema: {
      tags: ['delivery'],
      summary: 'An analysis request and its callback delivery, with every attempt',
      params: idParams,
      response: {
        200: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            objectId: { type: 'string' },
            jobId: { type: 'string' },
            invalidAfter: { type: 'string' },
            resourceType: { type: 'string' },
            createdAt: { type: 'string' },
            callback: { $ref: 'Delivery#' },
          },
          required: ['id', 'objectId', 'invalidAfter', 'createdAt'],
        },
        ...problemResponses(401, 404),
      },
    },
  }, async (request, reply) => {
    const { deliveries } = app.candela;
    const analysis = await deliveries.store.getAnalysisRequest(request.params.id);
    if (!analysis) return notFound(reply, 'analysis request', request.params.id);
    const callback = await deliveries.store.getDelivery(callbackDeliveryId(analysis.id));
    // The callback URL ends in SkyPortal's single-use token, which is not shown.
    const { callbackUrl: _withToken, ...shown } = analysis;
    const hideToken = (url: string) => url.replace(/[^/]+$/, '<token>');
    return { ...shown, ...(callback ? { callback: { ...(await deliveries.withAttemptLog(callback)), url: hideToken(callback.url) } } : {}) };
  });
};

export default skyportalRoutes;
