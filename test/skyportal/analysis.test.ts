/**
 * SkyPortal's analysis-service round trip against a fake SkyPortal that enforces its contract: a spectrum is
 * classified and the result POSTed to the single-use callback; photometry alone gets `status: "failure"`;
 * results past `invalid_after` are never sent; bad requests are refused with the field named.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture } from '../helpers/fixtures.js';
import { rowCounts } from '../helpers/row-counts.js';
import { modelsDir, startTestInstance, type TestInstance } from '../helpers/service.js';
import { startFakeSkyPortal, type FakeSkyPortal } from './fake-skyportal.js';

let candela: TestInstance;
let candelaUrl: string;
let skyportal: FakeSkyPortal;
/** The spectrum model alone: photometry has no model here, whatever else the repository holds. */
const spectrumOnlyModels = mkdtempSync(join(tmpdir(), 'candela-spectrum-only-'));
cpSync(join(modelsDir, 'spectrum-astranet'), join(spectrumOnlyModels, 'spectrum-astranet'), { recursive: true });
const lightCurveModelDir = join(modelsDir, 'lightcurve-astranet');

async function listening(instance: TestInstance): Promise<string> {
  await instance.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(instance.app.server.address() as AddressInfo).port}`;
}

/** SkyPortal's demo photometry of SN 2021gvm (CSV, as SkyPortal sends it to analysis services). */
const photometryCsv = fixture('alerts/skyportal/ZTF21aaqjmps_phot.csv');

async function analysisState(id: string) {
  const response = await candela.app.inject({ method: 'GET', url: `/skyportal/analysis/${id}` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

before(async () => {
  candela = await startTestInstance({ MODELS_DIR: spectrumOnlyModels, WEBHOOK_ALLOW_PRIVATE: true, DELIVERY_ATTEMPTS: 30, DELIVERY_BACKOFF_BASE_MS: 20, DELIVERY_BACKOFF_MAX_MS: 200 });
  candelaUrl = await listening(candela);
  skyportal = await startFakeSkyPortal();
});
after(async () => {
  await skyportal.close();
  await candela.close();
  rmSync(spectrumOnlyModels, { recursive: true, force: true });
});

describe('SkyPortal analysis service', () => {
  it('classifies a spectrum sent as CSV and posts the result to the callback', async () => {
    const started = await skyportal.startAnalysis(candelaUrl, 'ZTF21aaqjmps', { spectra: fixture('skyportal/ZTF21aaqjmps_spec.csv'), redshift: 'redshift\n0.0125\n' });
    assert.equal(started.status, 200);
    assert.equal(started.body.status, 'pending');
    const [callback] = await skyportal.callbacksReceived(1);
    assert.equal(callback.body.status, 'success', callback.body.message);
    assert.equal(callback.body.analysis.results?.format, 'json');
    const data = callback.body.analysis.results!.data as { objectId: string; prediction: { class: string }; conformal: { pValue: number }; predictionSet: { classes: string[] }; decision: { value: string } };
    assert.equal(data.objectId, 'ZTF21aaqjmps');
    assert.match(callback.body.message, new RegExp(`${data.prediction.class}.*decision ${data.decision.value}`));
    assert.ok(data.conformal.pValue > 0 && data.conformal.pValue <= 1);

    const job = (await candela.app.inject({ method: 'GET', url: `/jobs/${started.body.jobId}` })).json();
    assert.equal(job.status, 'completed');
    const state = await analysisState(started.body.analysisId as string);
    assert.equal(state.callback.status, 'succeeded');
    assert.doesNotMatch(JSON.stringify(state), new RegExp(callback.token), 'the callback token is not shown');
  });

  it('answers photometry alone with status "failure" and the reason', async () => {
    const started = await skyportal.startAnalysis(candelaUrl, 'ZTF20abcdefg', { photometry: photometryCsv });
    assert.equal(started.status, 200);
    assert.equal(started.body.jobId, undefined);
    const callbacks = await skyportal.callbacksReceived(2);
    const failure = callbacks.find((c) => c.body.status === 'failure')!;
    assert.match(failure.body.message, /no light-curve model/);
    assert.deepEqual(failure.body.analysis, {});
  });

  it('classifies photometry as a light curve once a light-curve model is loaded', { skip: existsSync(lightCurveModelDir) ? false : `no light-curve model in ${modelsDir}` }, async () => {
    const withLightCurves = await startTestInstance({ WEBHOOK_ALLOW_PRIVATE: true });
    try {
      const accepted = skyportal.callbacks.length;
      const started = await skyportal.startAnalysis(await listening(withLightCurves), 'ZTF21aaqjmps', { photometry: photometryCsv });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const callback = (await skyportal.callbacksReceived(accepted + 1)).at(-1)!;
      assert.equal(callback.body.status, 'success', callback.body.message);
      assert.equal((callback.body.analysis.results!.data as { objectId: string }).objectId, 'ZTF21aaqjmps');
    } finally {
      await withLightCurves.close();
    }
  });

  it('never posts after invalid_after: SkyPortal is down until then, and the callback is dead-lettered', async () => {
    const accepted = skyportal.callbacks.length;
    skyportal.callbackOutage = true;
    const started = await skyportal.startAnalysis(candelaUrl, 'ZTF20outage', { photometry: photometryCsv }, 1500);
    const deadline = Date.now() + 20_000;
    let state = await analysisState(started.body.analysisId as string);
    while (state.callback.status !== 'dead' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await analysisState(started.body.analysisId as string);
    }
    skyportal.callbackOutage = false;
    assert.equal(state.callback.status, 'dead');
    assert.match(state.callback.lastError, /invalid_after .* has passed/);
    assert.ok(state.callback.attemptLog.some((a: { statusCode?: number }) => a.statusCode === 503), 'it was retried while SkyPortal was down');
    assert.equal(skyportal.callbacks.length, accepted);
  });

  it('refuses a request that is missing a field or already expired, naming the field, and stores nothing', async () => {
    const before = rowCounts(candela.dataDir);
    const missing = await fetch(`${candelaUrl}/skyportal/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callback_method: 'POST', invalid_after: '2999-01-01 00:00:00', analysis_resource_type: 'obj', resource_id: 'ZTF1', inputs: {} }),
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.deepEqual((await missing.json()).errors.map((e: { pointer: string }) => e.pointer), ['/callback_url']);

    const expired = await fetch(`${candelaUrl}/skyportal/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        callback_url: `${skyportal.url}/api/webhook/obj_analysis/x`, callback_method: 'POST', invalid_after: '2001-01-01 00:00:00',
        analysis_resource_type: 'obj', resource_id: 'ZTF1', inputs: { spectra: fixture('skyportal/ZTF21aaqjmps_spec.csv') },
      }),
    });
    assert.equal(expired.status, 422);
    assert.deepEqual((await expired.json()).errors.map((e: { pointer: string }) => e.pointer), ['/invalid_after']);

    const unreadable = await skyportal.startAnalysis(candelaUrl, 'ZTF1', { spectra: 'wavelengths,fluxes\n4000,abc\n' });
    assert.equal(unreadable.status, 400);
    assert.deepEqual(rowCounts(candela.dataDir), before);
  });
});

describe('SkyPortal analysis service with SKYPORTAL_ANALYSIS_TOKEN', () => {
  it('refuses requests without the bearer token SkyPortal sends for header_token services, and serves those with it', async () => {
    const guarded = await startTestInstance({ MODELS_DIR: spectrumOnlyModels, WEBHOOK_ALLOW_PRIVATE: true, SKYPORTAL_ANALYSIS_TOKEN: 's3cret-token' });
    try {
      const url = await listening(guarded);
      const spectra = fixture('skyportal/ZTF21aaqjmps_spec.csv');
      const before = rowCounts(guarded.dataDir);
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret-token' }];
      for (const headers of attempts) {
        const refused = await skyportal.startAnalysis(url, 'ZTF21guarded', { spectra }, 60_000, headers);
        assert.equal(refused.status, 401, JSON.stringify(headers));
        assert.equal(refused.body.title, 'Unauthorized');
      }
      assert.deepEqual(rowCounts(guarded.dataDir), before);
      const shown = await guarded.app.inject({ method: 'GET', url: '/skyportal/analysis/anything' });
      assert.equal(shown.statusCode, 401);
      assert.match(shown.headers['www-authenticate'] as string, /^Bearer/);

      const callbacksBefore = skyportal.callbacks.length;
      const started = await skyportal.startAnalysis(url, 'ZTF21guarded', { spectra }, 60_000, { Authorization: 'Bearer s3cret-token' });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const callbacks = await skyportal.callbacksReceived(callbacksBefore + 1);
      assert.equal(callbacks.at(-1)!.body.status, 'success');
    } finally {
      await guarded.close();
    }
  });
});
