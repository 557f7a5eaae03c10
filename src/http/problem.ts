/**
 * Every error leaves as `application/problem+json` (RFC 9457): a title, the status, a detail a human can act
 * on and, for bad input, the list of fields at fault.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { InputError, type FieldProblem } from '../inputs/input-error.js';
import { ModelNotFoundError } from '../inference/model-repository.js';
import { InvalidCursorError } from '../store/provenance-store.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
}

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string', description: 'JSON pointer into the body, or "?name" for a query parameter' }, detail: { type: 'string' } },
        required: ['pointer', 'detail'],
      },
    },
  },
  required: ['type', 'title', 'status', 'detail'],
} as const;

export function sendProblem(reply: FastifyReply, problem: Omit<Problem, 'type' | 'instance'> & { type?: string }): FastifyReply {
  const body: Problem = {
    // RFC 9457: "about:blank" says the status code and title are all there is to know about the kind.
    type: problem.type ?? 'about:blank',
    instance: reply.request.url,
    ...problem,
  };
  return reply.code(problem.status).type('application/problem+json').send(body);
}

export function notFound(reply: FastifyReply, what: string, id: string): FastifyReply {
  return sendProblem(reply, { title: 'Not found', status: 404, detail: `no ${what} with id "${id}"` });
}

function validationProblems(error: FastifyError): FieldProblem[] {
  return (error.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    const path = `${v.instancePath}${missing ? `/${missing}` : ''}`;
    const where = error.validationContext === 'body' ? path || '/' : `?${path.replace(/^\//, '')}`;
    return { pointer: where, detail: v.message ?? 'is invalid' };
  });
}

export function registerProblemHandlers(app: FastifyInstance, onRejected: (status: number) => void): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof InputError) {
      onRejected(error.statusCode);
      return sendProblem(reply, { title: error.statusCode === 400 ? 'Unreadable input' : 'Invalid input', status: error.statusCode, detail: error.message, errors: error.problems });
    }
    if (error.validation) {
      onRejected(400);
      return sendProblem(reply, { title: 'Invalid request', status: 400, detail: `${error.validationContext ?? 'request'} does not match the schema`, errors: validationProblems(error) });
    }
    if (error instanceof ModelNotFoundError) {
      onRejected(404);
      return sendProblem(reply, { title: 'Unknown model', status: 404, detail: error.message, errors: [{ pointer: '?model', detail: error.message }] });
    }
    if (error instanceof InvalidCursorError) {
      onRejected(400);
      return sendProblem(reply, { title: 'Invalid cursor', status: 400, detail: error.message, errors: [{ pointer: '?after', detail: 'is not a cursor this service issued' }] });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, { title: 'Internal error', status, detail: 'the service could not complete the request; it has been logged' });
    }
    onRejected(status);
    return sendProblem(reply, { title: titleFor(status), status, detail: error.message });
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, { title: 'Not found', status: 404, detail: `no route ${request.method} ${request.url.split('?')[0]}` }));
}

function titleFor(status: number): string {
  return ({ 400: 'Bad request', 404: 'Not found', 405: 'Method not allowed', 406: 'Not acceptable', 413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests' } as Record<number, string>)[status] ?? 'Request refused';
}
