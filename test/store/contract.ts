/**
 * The contract every ProvenanceStore passes (SQLite always; MongoDB when MONGODB_URI is set). Each test gets
 * a fresh, empty store from `makeStore` and closes it afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Classification, Job, SpectrumContent } from '../../src/provenance/records.js';
import { InvalidCursorError, type ProvenanceStore } from '../../src/store/provenance-store.js';
import { classification, datapoint, newJob, sleep, trace } from './fixtures.js';

export interface ContractOptions {
  /** node:test `skip`: a reason string skips the whole suite and reports why. */
  skip?: string | boolean;
}

export function runStoreContract(
  name: string,
  makeStore: () => Promise<ProvenanceStore>,
  options: ContractOptions = {},
): void {
  if (options.skip) {
    // One skipped test (rather than only a skipped suite) so that the runner's summary counts it.
    it(`ProvenanceStore contract: ${name}`, { skip: options.skip }, () => {});
    return;
  }
  describe(`ProvenanceStore contract: ${name}`, () => {
    let store: ProvenanceStore;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    /** Submits a one-datapoint job and returns it. */
    async function submit(objectId = 'ZTF24aaabcde', seed = 1): Promise<Job> {
      return store.submitJob(newJob(objectId, [datapoint(objectId, seed)]));
    }

    /** Submits, claims and completes a job; returns the stored classification. */
    async function classified(
      objectId: string,
      seed: number,
      opts: Parameters<typeof classification>[2] & { traceSeed?: number } = {},
    ): Promise<Classification> {
      const job = await submit(objectId, seed);
      await store.claimJob(job.id, 60_000);
      return store.completeJob(classification(job, trace(opts.traceSeed ?? 0), opts), trace(opts.traceSeed ?? 0));
    }

    it('answers ping and names its kind', async () => {
      await store.ping();
      assert.ok(store.kind === 'sqlite' || store.kind === 'mongodb');
    });

    it('submitJob stores a queued job and its datapoints', async () => {
      const dps = [datapoint('ZTF24aaabcde', 1), datapoint('ZTF24aaabcde', 2)];
      const before = Date.now();
      const job = await store.submitJob(newJob('ZTF24aaabcde', dps, 'job-1'));
      assert.equal(job.id, 'job-1');
      assert.equal(job.status, 'queued');
      assert.equal(job.attempts, 0);
      assert.equal(job.modality, 'spectrum');
      assert.deepEqual(job.datapointIds, dps.map((d) => d.id));
      assert.deepEqual(job.options, { alpha: 0.1, model: 'astranet-sedm' });
      assert.deepEqual(job.history.map((h) => h.status), ['queued']);
      assert.equal(job.leaseUntil, undefined);
      assert.ok(Date.parse(job.createdAt) >= before - 1 && Date.parse(job.createdAt) <= Date.now() + 1);
      assert.deepEqual(await store.getJob('job-1'), job);

      const stored = await store.getDatapoints([dps[1].id, 'f'.repeat(64), dps[0].id]);
      assert.deepEqual(stored, [dps[1], dps[0]], 'in the order asked, unknown ids left out');
      assert.equal((stored[0].content as SpectrumContent).fluxes[17], null, 'a missing flux stays null');
    });

    it('stores a datapoint once and never changes it', async () => {
      const original = datapoint('ZTF24aaabcde', 7, '2024-03-14T08:00:00.000Z');
      await store.submitJob(newJob('ZTF24aaabcde', [original]));
      const again = { ...original, source: { format: 'csv', originId: 'other' }, createdAt: '2024-05-01T00:00:00.000Z' };
      const second = await store.submitJob(newJob('ZTF24aaabcde', [again, datapoint('ZTF24aaabcde', 8)]));
      assert.deepEqual(second.datapointIds, [original.id, datapoint('ZTF24aaabcde', 8).id]);
      const stored = await store.getDatapoints([original.id, original.id]);
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0], original);
    });

    it('keeps firstSeen, lastSeen and the journal of an object in order', async () => {
      const job1 = await submit('ZTF24objjrnl', 1);
      await sleep(5);
      const job2 = await submit('ZTF24objjrnl', 2);
      let object = await store.getObject('ZTF24objjrnl');
      assert.ok(object);
      assert.equal(object.objectId, 'ZTF24objjrnl');
      assert.deepEqual(object.aliases, []);
      assert.equal(object.firstSeen, job1.createdAt);
      assert.equal(object.lastSeen, job2.createdAt);
      assert.ok(object.lastSeen > object.firstSeen);
      assert.deepEqual(
        object.journal.map((e) => [e.event, e.jobId]),
        [
          ['received', job1.id],
          ['received', job2.id],
        ],
      );

      await store.claimJob(job1.id, 60_000);
      const tr = trace(0);
      const c = await store.completeJob(classification(job1, tr), tr);
      await store.appendJournal('ZTF24objjrnl', {
        at: new Date().toISOString(),
        event: 'delivered',
        jobId: job1.id,
        classificationId: c.id,
        detail: 'webhook https://example.org/hook: 200',
      });
      object = await store.getObject('ZTF24objjrnl');
      assert.ok(object);
      assert.equal(object.firstSeen, job1.createdAt, 'classification does not move firstSeen');
      assert.equal(object.lastSeen, job2.createdAt, 'nor lastSeen');
      assert.deepEqual(
        object.journal.map((e) => [e.event, e.jobId]),
        [
          ['received', job1.id],
          ['received', job2.id],
          ['classified', job1.id],
          ['delivered', job1.id],
        ],
      );
      const classifiedEntry = object.journal[2];
      assert.equal(classifiedEntry.traceId, tr.id);
      assert.equal(classifiedEntry.classificationId, c.id);
      assert.equal(object.journal[3].detail, 'webhook https://example.org/hook: 200');
      for (let i = 1; i < object.journal.length; i++) assert.ok(object.journal[i].at >= object.journal[i - 1].at);

      await assert.rejects(
        store.appendJournal('ZTF24nosuchobj', { at: new Date().toISOString(), event: 'delivered', jobId: job1.id }),
      );
      assert.equal(await store.getObject('ZTF24nosuchobj'), null);
    });

    it('claimJob takes a queued job once, with a lease', async () => {
      const job = await submit();
      const before = Date.now();
      const claimed = await store.claimJob(job.id, 30_000);
      assert.ok(claimed);
      assert.equal(claimed.status, 'running');
      assert.equal(claimed.attempts, 1);
      assert.ok(claimed.leaseUntil);
      const lease = Date.parse(claimed.leaseUntil);
      assert.ok(lease >= before + 30_000 - 5 && lease <= Date.now() + 30_000 + 5, 'lease = now + leaseMs');
      assert.deepEqual(claimed.history.map((h) => h.status), ['queued', 'running']);
      assert.deepEqual(await store.getJob(job.id), claimed);

      assert.equal(await store.claimJob(job.id, 30_000), null, 'leased by someone else');
      assert.equal((await store.getJob(job.id))?.attempts, 1);
    });

    it('claimJob takes over a running job whose lease has ended', async () => {
      const job = await submit();
      const first = await store.claimJob(job.id, 15);
      assert.equal(first?.attempts, 1);
      await sleep(40);
      const second = await store.claimJob(job.id, 60_000);
      assert.ok(second);
      assert.equal(second.status, 'running');
      assert.equal(second.attempts, 2);
      assert.ok(Date.parse(second.leaseUntil!) > Date.now() + 50_000);
      assert.deepEqual(second.history.map((h) => h.status), ['queued', 'running', 'running']);
      assert.equal(await store.claimJob(job.id, 60_000), null);
    });

    it('completeJob stores classification and trace and completes the job, idempotently', async () => {
      const job = await submit('ZTF24cmplete', 3);
      await store.claimJob(job.id, 60_000);
      const tr = trace(0);
      const c1 = classification(job, tr, { id: 'cls-1', fineClass: 'SN II', decision: 'ABSTAIN' });
      const stored = await store.completeJob(c1, tr);
      assert.deepEqual(stored, c1);
      assert.deepEqual(await store.getClassification('cls-1'), c1);
      assert.deepEqual(await store.getTrace(tr.id), tr);

      const done = await store.getJob(job.id);
      assert.ok(done);
      assert.equal(done.status, 'completed');
      assert.equal(done.classificationId, 'cls-1');
      assert.equal(done.leaseUntil, undefined);
      assert.deepEqual(done.history.map((h) => h.status), ['queued', 'running', 'completed']);

      // A second attempt (another worker, a retry) writes nothing and gets the first classification back.
      const c2 = classification(job, tr, { id: 'cls-2', fineClass: 'SN Ia', decision: 'COMMIT' });
      const again = await store.completeJob(c2, tr);
      assert.deepEqual(again, c1);
      assert.equal(await store.getClassification('cls-2'), null);
      const page = await store.listClassifications({ objectId: 'ZTF24cmplete' }, 10);
      assert.deepEqual(page.items.map((c) => c.id), ['cls-1']);
      assert.deepEqual(await store.getJob(job.id), done, 'job untouched by the second call');
      const journal = (await store.getObject('ZTF24cmplete'))!.journal;
      assert.equal(journal.filter((e) => e.event === 'classified').length, 1);

      // A finished job cannot be claimed again.
      assert.equal(await store.claimJob(job.id, 60_000), null);
    });

    it('stores a trace once when two classifications share it', async () => {
      const tr = trace(5, '2024-03-14T08:00:01.000Z');
      const jobA = await submit('ZTF24shareaa', 1);
      const jobB = await submit('ZTF24sharebb', 2);
      const a = await store.completeJob(classification(jobA, tr), tr);
      const later = { ...tr, createdAt: '2024-06-01T00:00:00.000Z' };
      const b = await store.completeJob(classification(jobB, later), later);
      assert.equal(a.traceId, b.traceId);
      assert.deepEqual(await store.getTrace(tr.id), tr, 'the first stored trace stays');
      const page = await store.listClassifications({ traceId: tr.id }, 10);
      assert.deepEqual(new Set(page.items.map((c) => c.id)), new Set([a.id, b.id]));
    });

    it('completeJob for an unknown job throws and stores nothing', async () => {
      const tr = trace(9);
      const ghost = { id: 'no-such-job', objectId: 'ZTF24ghostxx', datapointIds: [] };
      await assert.rejects(store.completeJob(classification(ghost, tr, { id: 'cls-ghost' }), tr));
      assert.equal(await store.getClassification('cls-ghost'), null);
      assert.equal(await store.getTrace(tr.id), null);
    });

    it('failJob with retry requeues, without retry fails and journals', async () => {
      const job = await submit('ZTF24failure', 4);
      await store.claimJob(job.id, 60_000);
      const retried = await store.failJob(job.id, { title: 'Inference error', detail: 'CUDA out of memory' }, true);
      assert.ok(retried);
      assert.equal(retried.status, 'queued');
      assert.equal(retried.attempts, 1);
      assert.equal(retried.leaseUntil, undefined);
      assert.deepEqual(retried.error, { title: 'Inference error', detail: 'CUDA out of memory' });
      assert.deepEqual(retried.history.map((h) => h.status), ['queued', 'running', 'queued']);
      let journal = (await store.getObject('ZTF24failure'))!.journal;
      assert.deepEqual(journal.map((e) => e.event), ['received']);

      const reclaimed = await store.claimJob(job.id, 60_000);
      assert.equal(reclaimed?.attempts, 2);
      const failed = await store.failJob(job.id, { title: 'Invalid spectrum', detail: 'fewer than 10 valid bins' }, false);
      assert.ok(failed);
      assert.equal(failed.status, 'failed');
      assert.deepEqual(failed.error, { title: 'Invalid spectrum', detail: 'fewer than 10 valid bins' });
      assert.deepEqual(failed.history.map((h) => h.status), ['queued', 'running', 'queued', 'running', 'failed']);
      assert.deepEqual(await store.getJob(job.id), failed);
      journal = (await store.getObject('ZTF24failure'))!.journal;
      assert.deepEqual(journal.map((e) => e.event), ['received', 'failed']);
      assert.equal(journal[1].jobId, job.id);

      assert.equal(await store.claimJob(job.id, 60_000), null, 'a failed job is finished');
      assert.equal(await store.failJob('no-such-job', { title: 'x', detail: 'y' }, false), null);
    });

    it('failJob does not undo a completed job', async () => {
      const job = await submit('ZTF24lateerr', 5);
      await store.claimJob(job.id, 60_000);
      const tr = trace(0);
      await store.completeJob(classification(job, tr), tr);
      const after = await store.failJob(job.id, { title: 'Timeout', detail: 'lease lost' }, false);
      assert.equal(after?.status, 'completed');
      assert.equal((await store.getJob(job.id))?.status, 'completed');
      const journal = (await store.getObject('ZTF24lateerr'))!.journal;
      assert.ok(!journal.some((e) => e.event === 'failed'));
    });

    it('requeueJob puts a running job back to queued, but not a finished one', async () => {
      const job = await submit('ZTF24requeue', 6);
      await store.claimJob(job.id, 60_000);
      const requeued = await store.requeueJob(job.id);
      assert.ok(requeued);
      assert.equal(requeued.status, 'queued');
      assert.equal(requeued.leaseUntil, undefined);
      assert.equal(requeued.attempts, 1);
      const last = requeued.history[requeued.history.length - 1];
      assert.equal(last.status, 'queued');
      assert.equal(last.detail, 'requeued');
      assert.equal((await store.claimJob(job.id, 60_000))?.attempts, 2);

      const tr = trace(0);
      await store.completeJob(classification(job, tr), tr);
      const finished = await store.requeueJob(job.id);
      assert.equal(finished?.status, 'completed');
      assert.equal((await store.getJob(job.id))?.status, 'completed');
      assert.equal(await store.requeueJob('no-such-job'), null);
    });

    it('findStaleJobs finds old queued jobs and running jobs with an ended lease only', async () => {
      const queuedOld = await submit('ZTF24staleaa', 1);
      const expired = await submit('ZTF24staleab', 2);
      await store.claimJob(expired.id, 10);
      const completed = await submit('ZTF24staleac', 3);
      await store.claimJob(completed.id, 60_000);
      await store.completeJob(classification(completed, trace(0)), trace(0));
      const failed = await submit('ZTF24stalead', 4);
      await store.failJob(failed.id, { title: 'Invalid spectrum', detail: 'empty' }, false);
      await sleep(30);
      const cutoff = new Date();
      await sleep(5);
      const queuedFresh = await submit('ZTF24staleae', 5);
      const runningFresh = await submit('ZTF24staleaf', 6);
      await store.claimJob(runningFresh.id, 60_000);

      const stale = await store.findStaleJobs(cutoff, 100);
      assert.deepEqual(new Set(stale.map((j) => j.id)), new Set([queuedOld.id, expired.id]));
      assert.ok(!stale.some((j) => j.id === queuedFresh.id || j.id === runningFresh.id || j.id === completed.id));
      assert.equal((await store.findStaleJobs(cutoff, 1)).length, 1);
      assert.deepEqual(await store.findStaleJobs(cutoff, 0), []);
      // Nothing queued was untouched before the epoch, but the expired lease still counts.
      assert.deepEqual((await store.findStaleJobs(new Date(0), 100)).map((j) => j.id), [expired.id]);
    });

    describe('listClassifications', () => {
      /** Six classifications with known fields, created at 08:00:0N. */
      async function seed(): Promise<Classification[]> {
        const specs = [
          { obj: 'ZTF24listaaa', cls: 'SN Ia', dec: 'COMMIT', tr: 0, at: '2024-03-14T08:00:01.000Z' },
          { obj: 'ZTF24listaaa', cls: 'SN II', dec: 'ABSTAIN', tr: 0, at: '2024-03-14T08:00:02.000Z' },
          { obj: 'ZTF24listbbb', cls: 'SN Ia', dec: 'ALERT', tr: 1, at: '2024-03-14T08:00:03.000Z' },
          { obj: 'ZTF24listbbb', cls: 'TDE', dec: 'ALERT', tr: 1, at: '2024-03-14T08:00:04.000Z' },
          { obj: 'ZTF24listccc', cls: 'SN Ia', dec: 'COMMIT', tr: 1, at: '2024-03-14T08:00:05.000Z' },
          { obj: 'ZTF24listccc', cls: 'SLSN', dec: 'COMMIT', tr: 0, at: '2024-03-14T08:00:06.000Z' },
        ] as const;
        const out: Classification[] = [];
        for (const [i, s] of specs.entries()) {
          out.push(
            await classified(s.obj, 100 + i, {
              id: `cls-${i + 1}`,
              fineClass: s.cls,
              decision: s.dec,
              createdAt: s.at,
              traceSeed: s.tr,
            }),
          );
        }
        return out;
      }
      const ids = (page: { items: Classification[] }) => page.items.map((c) => c.id);

      it('filters by object, trace, decision, class and time, newest first', async () => {
        const all = await seed();
        assert.deepEqual(ids(await store.listClassifications({}, 50)), ['cls-6', 'cls-5', 'cls-4', 'cls-3', 'cls-2', 'cls-1']);
        assert.deepEqual(ids(await store.listClassifications({ objectId: 'ZTF24listbbb' }, 50)), ['cls-4', 'cls-3']);
        assert.deepEqual(ids(await store.listClassifications({ traceId: trace(1).id }, 50)), ['cls-5', 'cls-4', 'cls-3']);
        assert.deepEqual(ids(await store.listClassifications({ decision: 'ALERT' }, 50)), ['cls-4', 'cls-3']);
        assert.deepEqual(ids(await store.listClassifications({ decision: 'COMMIT' }, 50)), ['cls-6', 'cls-5', 'cls-1']);
        assert.deepEqual(ids(await store.listClassifications({ class: 'SN Ia' }, 50)), ['cls-5', 'cls-3', 'cls-1']);
        assert.deepEqual(ids(await store.listClassifications({ class: 'SN I' }, 50)), [], 'coarse class is not the fine class');
        assert.deepEqual(
          ids(await store.listClassifications({ since: '2024-03-14T08:00:02.000Z', until: '2024-03-14T08:00:04.000Z' }, 50)),
          ['cls-4', 'cls-3', 'cls-2'],
          'since and until are inclusive',
        );
        assert.deepEqual(ids(await store.listClassifications({ since: '2024-03-14T08:00:05Z' }, 50)), ['cls-6', 'cls-5']);
        assert.deepEqual(ids(await store.listClassifications({ until: '2024-03-14T08:00:01.000Z' }, 50)), ['cls-1']);
        assert.deepEqual(
          ids(await store.listClassifications({ class: 'SN Ia', decision: 'COMMIT', traceId: trace(0).id }, 50)),
          ['cls-1'],
        );
        assert.deepEqual(ids(await store.listClassifications({ objectId: 'ZTF24nothing' }, 50)), []);
        const page = await store.listClassifications({ objectId: 'ZTF24listaaa' }, 50);
        assert.deepEqual(page.items, [all[1], all[0]], 'items are the full stored classifications');
        assert.equal(page.nextCursor, undefined);
      });

      it('pages through seven items three at a time, stable with equal timestamps', async () => {
        const same = '2024-03-14T09:00:00.000Z';
        const specs = [
          { id: 'p-a', at: '2024-03-14T08:59:00.000Z' },
          { id: 'p-c', at: same },
          { id: 'p-e', at: same },
          { id: 'p-b', at: same },
          { id: 'p-d', at: same },
          { id: 'p-f', at: '2024-03-14T09:01:00.000Z' },
          { id: 'p-g', at: '2024-03-14T08:58:00.000Z' },
        ];
        for (const [i, s] of specs.entries()) await classified('ZTF24pagesaa', 200 + i, { id: s.id, createdAt: s.at });
        // One more for another object: the filter must hold across pages.
        await classified('ZTF24pagesbb', 300, { id: 'p-z', createdAt: same });

        const expected = ['p-f', 'p-e', 'p-d', 'p-c', 'p-b', 'p-a', 'p-g'];
        const seen: string[] = [];
        const sizes: number[] = [];
        let after: string | undefined;
        for (let n = 0; n < 5; n++) {
          const page = await store.listClassifications({ objectId: 'ZTF24pagesaa' }, 3, after);
          seen.push(...ids(page));
          sizes.push(page.items.length);
          after = page.nextCursor;
          if (!after) break;
          assert.match(after, /^[A-Za-z0-9_-]+$/, 'cursor is base64url');
        }
        assert.deepEqual(sizes, [3, 3, 1]);
        assert.deepEqual(seen, expected, 'no duplicates, no omissions, createdAt DESC then id DESC');

        // Exactly a multiple of the page size: no cursor after the last full page.
        const six = await store.listClassifications({ objectId: 'ZTF24pagesaa', since: '2024-03-14T08:59:00.000Z' }, 3);
        const rest = await store.listClassifications(
          { objectId: 'ZTF24pagesaa', since: '2024-03-14T08:59:00.000Z' },
          3,
          six.nextCursor,
        );
        assert.deepEqual(ids(six), ['p-f', 'p-e', 'p-d']);
        assert.ok(six.nextCursor);
        assert.deepEqual(ids(rest), ['p-c', 'p-b', 'p-a']);
        assert.equal(rest.nextCursor, undefined);

        // first is clamped to 1..500.
        const one = await store.listClassifications({}, 0);
        assert.equal(one.items.length, 1);
        assert.ok(one.nextCursor);
        assert.equal((await store.listClassifications({}, -5)).items.length, 1);
        const many = await store.listClassifications({}, 10_000);
        assert.equal(many.items.length, 8);
        assert.equal(many.nextCursor, undefined);
      });

      it('rejects a cursor it did not issue', async () => {
        await seed();
        const bad = [
          'not a cursor!',
          '',
          Buffer.from('{"x":1}').toString('base64url'),
          Buffer.from('hello').toString('base64url'),
          Buffer.from(JSON.stringify({ c: 'yesterday', i: 'cls-1' })).toString('base64url'),
        ];
        for (const cursor of bad) {
          await assert.rejects(store.listClassifications({}, 3, cursor), InvalidCursorError, `cursor ${JSON.stringify(cursor)}`);
        }
      });
    });

    it('normalises timestamps to ISO with milliseconds', async () => {
      const job = await submit('ZTF24timesaa', 1);
      const tr = trace(0);
      const stored = await store.completeJob(classification(job, tr, { createdAt: '2024-03-14T08:00:00Z' }), tr);
      assert.equal(stored.createdAt, '2024-03-14T08:00:00.000Z');
      assert.equal((await store.getClassification(stored.id))?.createdAt, '2024-03-14T08:00:00.000Z');
    });

    it('answers null (or nothing) for unknown ids', async () => {
      assert.equal(await store.getJob('no-such-job'), null);
      assert.equal(await store.getClassification('no-such-classification'), null);
      assert.equal(await store.getObject('ZTF24unknownx'), null);
      assert.equal(await store.getTrace('0'.repeat(64)), null);
      assert.equal(await store.claimJob('no-such-job', 1000), null);
      assert.equal(await store.failJob('no-such-job', { title: 'x', detail: 'y' }, true), null);
      assert.equal(await store.requeueJob('no-such-job'), null);
      assert.deepEqual(await store.getDatapoints(['0'.repeat(64)]), []);
      assert.deepEqual(await store.getDatapoints([]), []);
    });

    it('submitJob with an existing job id throws and writes nothing', async () => {
      const id = randomUUID();
      const original = await store.submitJob(newJob('ZTF24atomica', [datapoint('ZTF24atomica', 1)], id));
      const fresh = datapoint('ZTF24atomicb', 99);
      await assert.rejects(store.submitJob(newJob('ZTF24atomicb', [fresh], id)));
      assert.deepEqual(await store.getJob(id), original);
      assert.deepEqual(await store.getDatapoints([fresh.id]), [], 'no new datapoint');
      assert.equal(await store.getObject('ZTF24atomicb'), null, 'no new object');
      const journal = (await store.getObject('ZTF24atomica'))!.journal;
      assert.equal(journal.length, 1, 'no new journal entry');

      // Same object this time: its lastSeen and journal stay as they were.
      const before = await store.getObject('ZTF24atomica');
      await sleep(3);
      await assert.rejects(store.submitJob(newJob('ZTF24atomica', [fresh], id)));
      assert.deepEqual(await store.getObject('ZTF24atomica'), before);
      assert.deepEqual(await store.getDatapoints([fresh.id]), []);
    });
  });
}
