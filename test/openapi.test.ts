/** The checked-in OpenAPI document must be what the running app serves (regenerate: npm run openapi). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { openapiDocument } from '../scripts/openapi-document.js';

it('openapi/openapi.json matches the running app', async () => {
  const committed = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));
  const current = JSON.parse(JSON.stringify(await openapiDocument()));
  assert.deepEqual(current, committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit the result');
});

it('documents every route with a schema', async () => {
  const doc = (await openapiDocument()) as { paths: Record<string, Record<string, { responses?: object }>> };
  for (const path of ['/classify', '/jobs/{id}', '/classifications/{id}', '/objects/{objectId}', '/objects/{objectId}/classifications', '/traces/{id}', '/models', '/models/{name}', '/healthz', '/readyz', '/metrics']) {
    assert.ok(doc.paths[path], `${path} is missing from the OpenAPI document`);
    for (const operation of Object.values(doc.paths[path])) assert.ok(operation.responses && Object.keys(operation.responses).length > 0, `${path} has no responses`);
  }
});
