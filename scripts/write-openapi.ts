/**
 * Writes openapi/openapi.json from the running app's schemas (`npm run openapi`). The document is checked
 * in; test/openapi.test.ts fails when it no longer matches the app.
 */
import { writeFileSync } from 'node:fs';
import { openapiDocument } from './openapi-document.js';

const target = new URL('../openapi/openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(await openapiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
