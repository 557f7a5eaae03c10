import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configSchema, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has defaults that start the embedded service', () => {
    const config = loadConfig({});
    assert.equal(config.REDIS_URL, '');
    assert.equal(config.MONGODB_URI, '');
    assert.equal(config.ORT_PROVIDERS, 'cpu');
  });
  it('refuses invalid values, naming the variable', () => {
    assert.throws(() => loadConfig({ BATCH_MAX: '0' }), /BATCH_MAX/);
    assert.throws(() => loadConfig({ ORT_PROVIDERS: 'cuda,tpu' }), /ORT_PROVIDERS/);
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
  });
  it('is documented: every variable appears in the README table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(configSchema.properties)) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), `${name} is missing from README.md`);
  });
});
