/**
 * Opt-in tests over the project's shared real data, read in place because not all of it may be copied into the
 * repository (the ZTF and fink-alert-schemas files state no licence; lsst-alert_packet is GPL-3.0). They run
 * when CANDELA_SHARED_DATA names that folder (e.g. `CANDELA_SHARED_DATA=../shared/data npm test`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const given = process.env.CANDELA_SHARED_DATA?.trim();

/** The shared data folder, with a trailing slash; undefined when the tests are not opted in. */
export const sharedData = given ? `${resolve(given)}/` : undefined;

/** node:test `skip`: false to run, or the reason these tests are skipped. */
export const skipWithoutSharedData: string | false = !given
  ? 'opt-in: set CANDELA_SHARED_DATA to the shared data folder (e.g. ../shared/data) to run the tests over every real file'
  : existsSync(resolve(given))
    ? false
    : `CANDELA_SHARED_DATA=${given} does not exist`;
