import { readFileSync } from 'node:fs';

export const fixture = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
export const fixtureBytes = (path: string): Buffer => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

/** The real SN II spectrum of SN 2021gvm (SkyPortal demo data) as a SkyPortal spectrum JSON body. */
export function realSpectrumBody(objectId = 'ZTF21aaqjmps') {
  const rows = fixture('skyportal/ZTF21aaqjmps_spec.csv').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  return {
    obj_id: objectId,
    wavelengths: rows.map((r) => r[0]),
    fluxes: rows.map((r) => r[1]),
    instrument: 'SPRAT',
    observed_at: '2021-04-03T00:00:00',
  };
}
