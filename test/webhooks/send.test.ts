/** One delivery attempt against real local HTTP servers: status, Retry-After, error excerpts, timeouts. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, it } from 'node:test';
import { postJson } from '../../src/webhooks/send.js';

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

it('reads only the start of an error body, however much the receiver sends', async () => {
  let written = 0;
  const url = await serve((_req, res) => {
    res.writeHead(503, { 'retry-after': '7' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (written < 256 * 2 ** 20 && res.write(chunk)) written += chunk.length;
      if (written < 256 * 2 ** 20) res.once('drain', pump);
      else res.end();
    };
    pump();
  });
  const outcome = await postJson(url, '{}', {}, 10_000);
  assert.equal(outcome.statusCode, 503);
  assert.equal(outcome.retryAfterMs, 7000);
  assert.match(outcome.error!, /^HTTP 503: x+$/);
  assert.ok(outcome.error!.length <= 'HTTP 503: '.length + 300);
  assert.ok(written < 64 * 2 ** 20, `the receiver got to write ${written} bytes`);
});

it('reports a receiver that does not answer in time', async () => {
  const url = await serve(() => undefined);
  const outcome = await postJson(url, '{}', {}, 200);
  assert.equal(outcome.statusCode, undefined);
  assert.equal(outcome.error, 'no answer within 200 ms');
});
