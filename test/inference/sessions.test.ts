/** Execution providers are tried in the configured order; one that cannot start is skipped with a logged reason. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { openSession } from '../../src/inference/sessions.js';
import { modelsDir } from '../helpers/service.js';

const [name] = readdirSync(modelsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
const [version] = readdirSync(join(modelsDir, name));
const classifier = join(modelsDir, name, version, 'classifier.onnx');

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

it('falls back from CUDA (not in this build) to CPU and says why', async () => {
  const { log, lines } = capturingLogger();
  const opened = await openSession(classifier, { providers: ['cuda', 'cpu'], intraOpThreads: 1, cpuArena: false }, log);
  assert.equal(opened.executionProvider, 'cpu');
  assert.deepEqual(opened.session.inputNames.includes('x'), true);
  await opened.session.release();
  assert.ok(lines.some((l) => l.provider === 'cuda' && typeof l.reason === 'string' && (l.reason as string).length > 0), JSON.stringify(lines));
});

it('fails with every reason when no provider works', async () => {
  const { log } = capturingLogger();
  await assert.rejects(openSession(classifier, { providers: ['cuda'], intraOpThreads: 1, cpuArena: false }, log), /no execution provider could open .*cuda:/);
});
