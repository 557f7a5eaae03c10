/** Request bodies beyond JSON: Avro alerts as bytes, CSV as text. */
import type { FastifyInstance } from 'fastify';

export const avroMediaTypes = ['application/avro', 'avro/binary', 'application/vnd.apache.avro+binary', 'application/x-avro-binary', 'application/octet-stream'];

export function registerBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser(avroMediaTypes, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
}
