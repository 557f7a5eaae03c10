import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesRule, objectIdPatternProblem } from '../../src/webhooks/rules.js';
import { classification, trace } from '../store/fixtures.js';

// SN II with probability 0.72, decision ALERT (see test/store/fixtures.ts).
const result = classification({ id: 'job-1', objectId: 'ZTF24aaabcde', datapointIds: [] }, trace(), { fineClass: 'SN II', decision: 'ALERT' });
const { pValue } = result.result.conformal;
const setSize = result.result.predictionSet.size;
const anomaly = result.result.anomaly.score;

describe('follow-up rules', () => {
  it('an empty rule matches every result', () => {
    assert.ok(matchesRule({}, result, 'spectrum'));
  });

  it('matches and refuses on each condition', () => {
    const cases: [object, boolean][] = [
      [{ decisions: ['ALERT'] }, true],
      [{ decisions: ['COMMIT', 'ABSTAIN'] }, false],
      [{ classes: ['SN II', 'SN IIn'], minProbability: 0.7 }, true],
      [{ classes: ['SN II'], minProbability: 0.8 }, false],
      [{ classes: ['SN Ia'] }, false],
      [{ maxPValue: pValue + 0.01 }, true],
      [{ maxPValue: pValue }, false],
      [{ minSetSize: setSize, maxSetSize: setSize }, true],
      [{ minSetSize: setSize + 1 }, false],
      [{ maxSetSize: setSize - 1 }, false],
      [{ minAnomalyScore: anomaly }, true],
      [{ minAnomalyScore: anomaly + 0.01 }, false],
      [{ modalities: ['spectrum'] }, true],
      [{ modalities: ['lightcurve', 'alert'] }, false],
      [{ objectIdPattern: '^ZTF24' }, true],
      [{ objectIdPattern: '^ZTF25' }, false],
    ];
    for (const [rule, expected] of cases) assert.equal(matchesRule(rule, result, 'spectrum'), expected, JSON.stringify(rule));
  });

  it('combines conditions: all must hold', () => {
    assert.ok(matchesRule({ decisions: ['ALERT'], classes: ['SN II'], objectIdPattern: 'abcde$' }, result, 'spectrum'));
    assert.ok(!matchesRule({ decisions: ['ALERT'], classes: ['SN II'], objectIdPattern: 'xyz$' }, result, 'spectrum'));
  });

  it('says why an object id pattern is unusable', () => {
    assert.equal(objectIdPatternProblem('^ZTF2[0-9]'), undefined);
    assert.match(objectIdPatternProblem('^ZTF(') ?? '', /not a valid regular expression/);
  });
});
