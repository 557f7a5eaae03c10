/** Request bodies beyond JSON: Avro alerts as bytes, CSV as text. */
import type { FastifyInstance } from 'fastify';
import type { LoadedModel } from '../src/inference/ensemble-model.js';
import type { SpectrumLimits } from '../src/inputs/spectrum.js';
import { spectrumLimits } from '../src/preprocess/spectrum.js';

export const avroMediaTypes = ['application/avro', 'avro/binary', 'application/vnd.apache.avro+binary', 'application/x-avro-binary', 'application/octet-stream'];

export function registerBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser(avroMediaTypes, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

/** The input limits of a spectrum model (other models check their inputs in their preprocessing). */
export function spectrumLimitsOf(model: LoadedModel): SpectrumLimits | undefined {
  const preprocessing = model.card.input.preprocessing;
  return preprocessing.kind === 'spectrum-grid-v1' ? spectrumLimits(preprocessing) : undefined;
}
