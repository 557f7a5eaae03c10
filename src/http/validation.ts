/**
 * Request validation. Query strings and path parameters arrive as text and are coerced to the schema's types;
 * bodies are not: a flux sent as "1.2" is a client bug that must come back as a 400, not be guessed at.
 * Ajv stops at the first error, so a 200,000-point body with many bad values stays cheap to reject.
 */
import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

export function validatorCompiler(sharedSchemas: readonly AnySchema[]): FastifySchemaCompiler<AnySchema> {
  const make = (coerce: boolean) => {
    const ajv = new Ajv({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
    addFormats.default(ajv);
    for (const schema of sharedSchemas) ajv.addSchema(schema);
    return ajv;
  };
  const bodies = make(false);
  const parameters = make(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : parameters).compile(schema);
}
