import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertDeliverableTarget, isPublicAddress } from '../../src/webhooks/target-guard.js';

describe('SSRF guard', () => {
  it('tells public addresses from loopback, private, link-local and mapped ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.ok(isPublicAddress(address), address);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      assert.ok(!isPublicAddress(address), address);
    }
  });

  it('refuses private targets, by address and by resolved name, unless allowed', async () => {
    await assert.rejects(assertDeliverableTarget('http://169.254.169.254/latest/meta-data', false), /link-local|private/);
    await assert.rejects(assertDeliverableTarget('http://[::1]:8080/hook', false), /loopback/);
    await assert.rejects(assertDeliverableTarget('http://localhost:9/hook', false), /resolves to (127\.0\.0\.1|::1)/);
    await assertDeliverableTarget('http://localhost:9/hook', true);
  });

  it('refuses what is not http(s) or carries credentials, even when private targets are allowed', async () => {
    await assert.rejects(assertDeliverableTarget('file:///etc/passwd', true), /http or https/);
    await assert.rejects(assertDeliverableTarget('http://user:pw@example.org/', true), /credentials/);
    await assert.rejects(assertDeliverableTarget('not a url', true), /absolute URL/);
  });
});
