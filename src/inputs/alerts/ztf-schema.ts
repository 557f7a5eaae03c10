/**
 * The ZTF alert writer schema, v4.02, restated as field names and Avro types only (no documentation text),
 * for Confluent-framed datums, which carry a schema id instead of their schema. Binary Avro has no field
 * tags, so decoding needs the writer's exact field order and types; this is that interface and nothing
 * more. `?t` is the union ["null", t] (ZTF's optional fields). Field meanings: ZTF's public schema docs.
 */
export const ZTF_V402_SCHEMA_ID = 402;

const fields: Record<string, string> = {
  candidate:
    'jd:double fid:int pid:long diffmaglim:?float pdiffimfilename:?string programpi:?string programid:int ' +
    'candid:long isdiffpos:string tblid:?long nid:?int rcid:?int field:?int xpos:?float ypos:?float ' +
    'ra:double dec:double magpsf:float sigmapsf:float chipsf:?float magap:?float sigmagap:?float ' +
    'distnr:?float magnr:?float sigmagnr:?float chinr:?float sharpnr:?float sky:?float magdiff:?float ' +
    'fwhm:?float classtar:?float mindtoedge:?float magfromlim:?float seeratio:?float aimage:?float ' +
    'bimage:?float aimagerat:?float bimagerat:?float elong:?float nneg:?int nbad:?int rb:?float ' +
    'ssdistnr:?float ssmagnr:?float ssnamenr:?string sumrat:?float magapbig:?float sigmagapbig:?float ' +
    'ranr:double decnr:double sgmag1:?float srmag1:?float simag1:?float szmag1:?float sgscore1:?float ' +
    'distpsnr1:?float ndethist:int ncovhist:int jdstarthist:?double jdendhist:?double scorr:?double ' +
    'tooflag:?int objectidps1:?long objectidps2:?long sgmag2:?float srmag2:?float simag2:?float ' +
    'szmag2:?float sgscore2:?float distpsnr2:?float objectidps3:?long sgmag3:?float srmag3:?float ' +
    'simag3:?float szmag3:?float sgscore3:?float distpsnr3:?float nmtchps:int rfid:long jdstartref:double ' +
    'jdendref:double nframesref:int rbversion:string dsnrms:?float ssnrms:?float dsdiff:?float ' +
    'magzpsci:?float magzpsciunc:?float magzpscirms:?float nmatches:int clrcoeff:?float clrcounc:?float ' +
    'zpclrcov:?float zpmed:?float clrmed:?float clrrms:?float neargaia:?float neargaiabright:?float ' +
    'maggaia:?float maggaiabright:?float exptime:?float drb:?float drbversion:string',
  prv_candidate:
    'jd:double fid:int pid:long diffmaglim:?float pdiffimfilename:?string programpi:?string programid:int ' +
    'candid:?long isdiffpos:?string tblid:?long nid:?int rcid:?int field:?int xpos:?float ypos:?float ' +
    'ra:?double dec:?double magpsf:?float sigmapsf:?float chipsf:?float magap:?float sigmagap:?float ' +
    'distnr:?float magnr:?float sigmagnr:?float chinr:?float sharpnr:?float sky:?float magdiff:?float ' +
    'fwhm:?float classtar:?float mindtoedge:?float magfromlim:?float seeratio:?float aimage:?float ' +
    'bimage:?float aimagerat:?float bimagerat:?float elong:?float nneg:?int nbad:?int rb:?float ' +
    'ssdistnr:?float ssmagnr:?float ssnamenr:?string sumrat:?float magapbig:?float sigmagapbig:?float ' +
    'ranr:?double decnr:?double scorr:?double magzpsci:?float magzpsciunc:?float magzpscirms:?float ' +
    'clrcoeff:?float clrcounc:?float rbversion:string',
  fp_hist:
    'field:?int rcid:?int fid:int pid:long rfid:long sciinpseeing:?float scibckgnd:?float scisigpix:?float ' +
    'magzpsci:?float magzpsciunc:?float magzpscirms:?float clrcoeff:?float clrcounc:?float exptime:?float ' +
    'adpctdif1:?float adpctdif2:?float diffmaglim:?float programid:int jd:double forcediffimflux:?float ' +
    'forcediffimfluxunc:?float procstatus:?string distnr:?float ranr:double decnr:double magnr:?float ' +
    'sigmagnr:?float chinr:?float sharpnr:?float',
};

function record(name: string, spec: string) {
  return {
    type: 'record',
    name,
    namespace: 'ztf.alert',
    fields: spec.trim().split(/\s+/).map((entry) => {
      const [field, type] = entry.split(':');
      return { name: field, type: type.startsWith('?') ? ['null', type.slice(1)] : type };
    }),
  };
}

/** The top-level `ztf.alert` record of schema v4.02, with its nested records inlined. */
export const ztfV402Schema = {
  type: 'record',
  name: 'alert',
  namespace: 'ztf',
  fields: [
    { name: 'schemavsn', type: 'string' },
    { name: 'publisher', type: 'string' },
    { name: 'objectId', type: 'string' },
    { name: 'candid', type: 'long' },
    { name: 'candidate', type: record('candidate', fields.candidate) },
    { name: 'prv_candidates', type: ['null', { type: 'array', items: record('prv_candidate', fields.prv_candidate) }] },
    { name: 'fp_hists', type: ['null', { type: 'array', items: record('fp_hist', fields.fp_hist) }] },
    { name: 'cutoutScience', type: ['null', { type: 'record', name: 'cutout', namespace: 'ztf.alert', fields: [{ name: 'fileName', type: 'string' }, { name: 'stampData', type: 'bytes' }] }] },
    { name: 'cutoutTemplate', type: ['null', 'ztf.alert.cutout'] },
    { name: 'cutoutDifference', type: ['null', 'ztf.alert.cutout'] },
  ],
};
