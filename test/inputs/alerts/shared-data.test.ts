/** Every real alert file in the shared data, read in place; opt-in (test/helpers/shared-data.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAlert } from '../../../src/inputs/alerts/index.js';
import { InputError } from '../../../src/inputs/input-error.js';
import { countKinds } from '../../../src/inputs/lightcurve.js';
import { sharedData, skipWithoutSharedData as skip } from '../../helpers/shared-data.js';


type Expected = { objectId: string; kinds: [number, number, number]; survey: string } | { status: number; pointer: string };
const files: Record<string, Expected> = {
  'alerts/ztf-avro-alert/data/2019_01_10_739260766315010006.avro': { objectId: 'ZTF17aaacxxf', kinds: [23, 0, 6], survey: 'ztf' },
  'alerts/ztf-avro-alert/data/472263571115115000.avro': { objectId: 'ZTF17aaajnnn', kinds: [1, 0, 11], survey: 'ztf' },
  'alerts/fink-alert-schemas/ztf/template_schema_ZTF_3p1.avro': { objectId: 'ZTF18acsbtlw', kinds: [2, 0, 9], survey: 'ztf' },
  'alerts/fink-alert-schemas/ztf/template_schema_ZTF_3p3.avro': { objectId: 'ZTF19abvhduf', kinds: [21, 0, 0], survey: 'ztf' },
  'alerts/fink-alert-schemas/ztf/ztf_public_20190903.schema.avro': { objectId: 'ZTF18abrgqwz', kinds: [1, 0, 9], survey: 'ztf' },
  'alerts/fink-alert-schemas/ztf/1628364324215010017.avro': { objectId: 'ZTF18abmmoot', kinds: [11, 0, 14], survey: 'ztf' },
  'alerts/fink-alert-schemas/ztf/alert_mjd60673.2244_obj1198_src2396011.avro': { objectId: '1198', kinds: [7, 0, 0], survey: 'elasticc' },
  'alerts/lsst-alert_packet/python/lsst/alert/packet/schema/9/0/sample_data/fakeAlert.avro': { objectId: '281323062375219201', kinds: [3, 0, 0], survey: 'lsst' },
  'alerts/lsst-alert_packet/python/lsst/alert/packet/schema/10/0/sample_data/fakeAlert.avro': { objectId: '281323062375219201', kinds: [3, 0, 0], survey: 'lsst' },
  'alerts/lsst-alert_packet/python/lsst/alert/packet/schema/11/0/sample_data/fakeAlert.avro': { objectId: '281323062375219201', kinds: [3, 0, 0], survey: 'lsst' },
  'lightcurves/skyportal/skyportal/tests/data/541234765015015012.avro': { objectId: 'ZTF17aabwnkw', kinds: [14, 0, 1], survey: 'ztf' },
  'lightcurves/skyportal/skyportal/tests/data/avro_files/541385122515015008.avro': { objectId: 'ZTF18aaypnsi', kinds: [10, 0, 15], survey: 'ztf' },
  'lightcurves/skyportal/skyportal/tests/data/avro_files/541443293415015009.avro': { objectId: 'ZTF18abajfvr', kinds: [3, 0, 0], survey: 'ztf' },
  'lightcurves/skyportal/skyportal/tests/api_tests/data/broker_cassettes/babamul_alert.avro': { objectId: 'ZTF26aauybpk', kinds: [66, 114, 52], survey: 'ztf' },
  'lightcurves/skyportal/skyportal/tests/data/87704463155000.avro': { status: 422, pointer: '/objectId' },
  'lightcurves/skyportal/skyportal/tests/data/alert.json': { status: 422, pointer: '/objectId' },
  'lightcurves/skyportal/skyportal/tests/api_tests/data/broker_cassettes/ampel_report.avro': { status: 422, pointer: '/avro/header/avro.schema' },
};

describe('real alert files in the shared data', { skip }, () => {
  for (const [path, expected] of Object.entries(files)) {
    it(path, () => {
      const body = readFileSync(`${sharedData}${path}`);
      if ('status' in expected) {
        assert.throws(() => parseAlert(body), (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.equal(error.statusCode, expected.status);
          assert.equal(error.problems[0].pointer, expected.pointer);
          return true;
        });
        return;
      }
      const { objectId, content } = parseAlert(body);
      assert.equal(objectId, expected.objectId);
      assert.equal(content.context.survey, expected.survey);
      const k = countKinds(content);
      assert.deepEqual([k.detection, k.forced, k.upperlimit], expected.kinds);
    });
  }
  it('the ZTF19abvhduf (SN Ia) candidate: g band, magpsf 18.1 region, drb ≈ 1', () => {
    const { content } = parseAlert(readFileSync(`${sharedData}alerts/fink-alert-schemas/ztf/template_schema_ZTF_3p3.avro`));
    assert.equal(content.context.sourceId, '1048197683315015009');
    assert.ok(content.context.realBogus!.score > 0.99);
    assert.ok(Math.abs(content.context.hostDistanceArcsec! - 4.195110321044922) < 1e-9);
  });
});
