"""Minimal FITS binary-table reader (no astropy) and the SNANA FITS light-curve format (HEAD + PHOT pairs),
used for the ELAsTiCC2 training excerpt in ../shared/data/schemas/tom_desc/tests/elasticc2_alert_test_data.tar.bz2.

FITS (Pence et al. 2010, FITS standard 4.0): a file is a sequence of HDUs; each HDU is a header of 80-character
ASCII cards in 2880-byte blocks ending with the END card, then a data unit padded to a multiple of 2880 bytes.
A BINTABLE has NAXIS1 bytes per row, NAXIS2 rows, TFIELDS columns with TTYPEn (name) and TFORMn (rT: repeat
count r and type code T), big-endian, followed by PCOUNT bytes of heap. Only fixed-width columns are supported
(variable-length P/Q descriptors are rejected); TSCALn/TZEROn are applied.

SNANA: the HEAD table has one row per object (SNID, PTROBS_MIN/MAX = 1-based row range in the PHOT table,
redshifts, SIM_* truth); the PHOT table has one row per epoch (MJD, BAND, FLUXCAL, FLUXCALERR, PHOTFLAG, ...),
objects separated by rows with MJD = -777. FLUXCAL has zero point 27.5: µJy = FLUXCAL * 10^((23.9 - 27.5)/2.5).
PHOTFLAG & 4096 (header PHOTFLAG_DETECT) marks a detection of the difference-imaging pipeline."""
from __future__ import annotations

import gzip
import math
import os
import re
import tarfile

import numpy as np

BLOCK = 2880
CARD = 80
# TFORM type code -> (numpy big-endian dtype, bytes per element)
TYPES = {"L": ("S1", 1), "B": (">u1", 1), "I": (">i2", 2), "J": (">i4", 4), "K": (">i8", 8),
         "E": (">f4", 4), "D": (">f8", 8), "C": (">c8", 8), "M": (">c16", 16)}
_TFORM = re.compile(r"^\s*(\d*)\s*([A-Z])(.*)$")


class FitsError(ValueError):
    pass


def _value(raw):
    """Parse the value part of a header card (after '= ')."""
    s = raw.strip()
    if s.startswith("'"):
        out, i = [], 1
        while i < len(s):
            if s[i] == "'":
                if i + 1 < len(s) and s[i + 1] == "'":
                    out.append("'"); i += 2; continue
                break
            out.append(s[i]); i += 1
        return "".join(out).rstrip()
    s = s.split("/", 1)[0].strip()
    if s == "T":
        return True
    if s == "F":
        return False
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s.replace("D", "E"))
    except ValueError:
        return s


def parse_header(buf, pos):
    """Header cards from buf[pos:] -> (dict, position of the data unit). Handles HIERARCH keywords and the
    OGIP long-string CONTINUE convention."""
    hdr, last = {}, None
    while True:
        if pos + BLOCK > len(buf):
            raise FitsError("truncated header (no END card)")
        block = buf[pos:pos + BLOCK]
        pos += BLOCK
        done = False
        for k in range(0, BLOCK, CARD):
            card = block[k:k + CARD].decode("ascii", errors="replace")
            key = card[:8].strip()
            if key == "END":
                done = True
                break
            if key == "CONTINUE" and last is not None and isinstance(hdr.get(last), str):
                v = _value(card[8:])
                prev = hdr[last]
                hdr[last] = (prev[:-1] if prev.endswith("&") else prev) + (v if isinstance(v, str) else "")
                continue
            if key == "HIERARCH":
                body = card[8:]
                if "=" not in body:
                    continue
                name, raw = body.split("=", 1)
                name = name.strip()
            elif card[8:10] == "= ":
                name, raw = key, card[10:]
            else:
                continue  # COMMENT, HISTORY, blank
            hdr[name] = _value(raw)
            last = name
        if done:
            return hdr, pos


def _column_dtype(hdr):
    n = int(hdr["TFIELDS"])
    fields, names = [], []
    for j in range(1, n + 1):
        name = str(hdr.get(f"TTYPE{j}", f"COL{j}")).strip()
        m = _TFORM.match(str(hdr[f"TFORM{j}"]))
        if not m:
            raise FitsError(f"bad TFORM{j} {hdr[f'TFORM{j}']!r}")
        rep = int(m.group(1)) if m.group(1) else 1
        code = m.group(2)
        if code == "A":
            dt = f"S{rep}" if rep > 0 else "S1"
            fields.append((name, dt) if rep > 0 else (name, "V0"))
        elif code == "X":
            fields.append((name, ("u1", (rep + 7) // 8)))
        elif code in ("P", "Q"):
            raise FitsError(f"variable-length column {name} ({hdr[f'TFORM{j}']}) not supported")
        elif code in TYPES:
            dt = TYPES[code][0]
            fields.append((name, dt) if rep == 1 else (name, (dt, (rep,))))
        else:
            raise FitsError(f"unknown TFORM code {code!r} in column {name}")
        names.append(name)
    return np.dtype(fields), names


def read_fits(data):
    """bytes of a FITS file (gzip accepted) -> list of HDUs {"header": dict, "table": {col: np.ndarray} or None}."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if not data.startswith(b"SIMPLE  ="):
        raise FitsError("not a FITS file (no SIMPLE card)")
    hdus, pos = [], 0
    while pos + BLOCK <= len(data):
        if not data[pos:pos + BLOCK].strip(b"\x00 "):
            break  # trailing padding
        hdr, pos = parse_header(data, pos)
        naxis = int(hdr.get("NAXIS", 0))
        size = 0
        if naxis > 0:
            size = abs(int(hdr.get("BITPIX", 8))) // 8
            for a in range(1, naxis + 1):
                size *= int(hdr[f"NAXIS{a}"])
        size = int(hdr.get("GCOUNT", 1)) * (int(hdr.get("PCOUNT", 0)) + size)
        table = None
        if str(hdr.get("XTENSION", "")).strip() == "BINTABLE":
            dt, names = _column_dtype(hdr)
            width, nrow = int(hdr["NAXIS1"]), int(hdr["NAXIS2"])
            if dt.itemsize != width:
                raise FitsError(f"column widths sum to {dt.itemsize}, NAXIS1 = {width}")
            if pos + width * nrow > len(data):
                raise FitsError("truncated table data")
            rows = np.frombuffer(data, dtype=dt, count=nrow, offset=pos)
            table = {}
            for j, name in enumerate(names, start=1):
                col = rows[name]
                if col.dtype.kind == "S":
                    col = np.array([v.decode("ascii", errors="replace").rstrip() for v in col], dtype=object)
                else:
                    col = col.astype(col.dtype.newbyteorder("="))
                    sc, zr = hdr.get(f"TSCAL{j}"), hdr.get(f"TZERO{j}")
                    if (sc not in (None, 1)) or (zr not in (None, 0)):
                        col = col.astype(np.float64) * (1.0 if sc is None else sc) + (0.0 if zr is None else zr)
                table[name] = col
        hdus.append({"header": hdr, "table": table})
        pos += (size + BLOCK - 1) // BLOCK * BLOCK
    return hdus


def read_table(data):
    """First BINTABLE of a FITS file -> (header, {col: array})."""
    for h in read_fits(data):
        if h["table"] is not None:
            return h["header"], h["table"]
    raise FitsError("no BINTABLE extension")


# ---- SNANA -> canonical light curves -------------------------------------------------------------------------

ZP_FLUXCAL = 27.5
TO_UJY = 10 ** ((23.9 - ZP_FLUXCAL) / 2.5)
DETECT_BIT = 4096
LSST = {"u": "lsstu", "g": "lsstg", "r": "lsstr", "i": "lssti", "z": "lsstz", "Y": "lssty", "y": "lssty"}
# ELAsTiCC2 training-set folder suffix -> (our label, ELAsTiCC class id)
ELASTICC_FOLDERS = {"SNIb-Templates": ("Ibc", 2223), "KN_K17": ("KN", 2232), "Mdwarf-flare": ("Mdwarf-flare", 2233)}
NULL = -9.0  # SNANA's "no value" for redshifts / host quantities


def _finite(v):
    return v is not None and math.isfinite(v)


def host_redshift(head, i):
    """The redshift an ELAsTiCC alert carries as diaObject.z_final (what src/inputs/alerts/lsst.ts reads as
    hostRedshift): SNANA's REDSHIFT_FINAL (host spec-z if any, else photo-z), else REDSHIFT_HELIO; None for the
    -9 "no value" of galactic objects (the service keeps only z >= 0)."""
    for col in ("REDSHIFT_FINAL", "REDSHIFT_HELIO"):
        if col in head:
            v = float(head[col][i])
            if _finite(v) and v >= 0:
                return v
    return None


def objects_from_pair(head_bytes, phot_bytes, label, class_id, source):
    """One SNANA HEAD/PHOT pair -> list of objects {id, label, classId, redshift, lc (canonical content)}."""
    hh, head = read_table(head_bytes)
    ph, phot = read_table(phot_bytes)
    det_bit = int(hh.get("PHOTFLAG_DETECT", DETECT_BIT) or DETECT_BIT)
    need = {"MJD", "BAND", "FLUXCAL", "FLUXCALERR", "PHOTFLAG"}
    if not need <= set(phot):
        raise FitsError(f"PHOT table lacks {sorted(need - set(phot))}")
    out = []
    for i in range(len(head["SNID"])):
        a, b = int(head["PTROBS_MIN"][i]) - 1, int(head["PTROBS_MAX"][i])  # 1-based inclusive
        pts = []
        for k in range(a, b):
            mjd = float(phot["MJD"][k])
            if mjd < 0:  # -777 end-of-light-curve marker
                continue
            band = LSST.get(str(phot["BAND"][k]).strip())
            err = float(phot["FLUXCALERR"][k])
            flux = float(phot["FLUXCAL"][k])
            if band is None or not (_finite(err) and err > 0 and _finite(flux)):
                continue
            det = (int(phot["PHOTFLAG"][k]) & det_bit) != 0
            pts.append({"mjd": round(mjd, 5), "band": band, "kind": "detection" if det else "forced",
                        "flux": round(flux * TO_UJY, 4), "fluxErr": round(err * TO_UJY, 4)})
        order = {"detection": 0, "forced": 1}
        pts.sort(key=lambda p: (p["mjd"], order[p["kind"]], p["band"]))
        snid = str(head["SNID"][i]).strip()
        z = host_redshift(head, i)
        ctx = {"survey": "lsst", "format": "snana-fits", "objectId": f"elasticc2-{snid}"}
        if z is not None:
            ctx["hostRedshift"] = round(z, 4)
        truth = {c: float(head[c][i]) for c in ("REDSHIFT_HELIO", "SIM_REDSHIFT_CMB", "SIM_PEAKMJD") if c in head}
        for c in ("SIM_TYPE_INDEX", "SIM_GENTYPE", "SNTYPE"):
            if c in head:
                truth[c] = int(head[c][i])
        out.append({"id": snid, "label": label, "classId": class_id, "source": source, "redshift": z,
                    "truth": truth, "lc": {"points": pts, "context": ctx}})
    return out


def read_elasticc_tarball(path):
    """ELAsTiCC2 training excerpt tarball -> list of objects (sorted by folder, file, row: deterministic).
    Folders not in ELASTICC_FOLDERS are ignored; HEAD files without rows contribute nothing."""
    objs = []
    with tarfile.open(path, "r:*") as tf:
        members = {m.name: m for m in tf.getmembers() if m.isfile()}
        for name in sorted(members):
            if not name.endswith("_HEAD.FITS.gz"):
                continue
            folder = os.path.basename(os.path.dirname(name))
            suffix = folder.split("1percent_", 1)[-1]
            if suffix not in ELASTICC_FOLDERS:
                continue
            label, cid = ELASTICC_FOLDERS[suffix]
            pname = name[:-len("_HEAD.FITS.gz")] + "_PHOT.FITS.gz"
            if pname not in members:
                raise FitsError(f"{name} has no PHOT file")
            hb = tf.extractfile(members[name]).read()
            pb = tf.extractfile(members[pname]).read()
            objs += objects_from_pair(hb, pb, label, cid, f"{folder}/{os.path.basename(name)}")
    return objs


def write_bintable(columns, header_extra=None):
    """Tiny FITS writer (primary HDU + one BINTABLE) for tests: columns = [(name, tform, values)]."""
    def card(k, v):
        if isinstance(v, bool):
            s = "T" if v else "F"
            return f"{k:<8}= {s:>20}".ljust(CARD)
        if isinstance(v, str):
            return f"{k:<8}= '{v:<8}'".ljust(CARD)
        return f"{k:<8}= {v:>20}".ljust(CARD)

    def block(cards):
        b = "".join(cards + ["END".ljust(CARD)]).encode("ascii")
        return b + b" " * (-len(b) % BLOCK)

    prim = block([card("SIMPLE", True), card("BITPIX", 8), card("NAXIS", 0), card("EXTEND", True)])
    fields = []
    for name, tform, vals in columns:
        m = _TFORM.match(tform)
        rep, code = int(m.group(1) or 1), m.group(2)
        fields.append((name, f"S{rep}") if code == "A" else (name, TYPES[code][0]) if rep == 1
                      else (name, TYPES[code][0], (rep,)))
    dt = np.dtype(fields)
    n = len(columns[0][2])
    arr = np.zeros(n, dtype=dt)
    for name, tform, vals in columns:
        arr[name] = vals
    cards = [card("XTENSION", "BINTABLE"), card("BITPIX", 8), card("NAXIS", 2), card("NAXIS1", dt.itemsize),
             card("NAXIS2", n), card("PCOUNT", 0), card("GCOUNT", 1), card("TFIELDS", len(columns))]
    for j, (name, tform, _) in enumerate(columns, start=1):
        cards += [card(f"TTYPE{j}", name), card(f"TFORM{j}", tform)]
    for k, v in (header_extra or {}).items():
        cards.append(card(k, v) if len(k) <= 8 else f"HIERARCH {k} = {v}".ljust(CARD))
    body = arr.tobytes()
    return prim + block(cards) + body + b"\x00" * (-len(body) % BLOCK)


if __name__ == "__main__":  # quick look: python3 -m training.lightcurve.snana TARBALL
    import sys
    from collections import Counter
    o = read_elasticc_tarball(sys.argv[1])
    print(len(o), Counter(x["label"] for x in o))
