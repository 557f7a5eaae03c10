"""Tests of the FITS / SNANA reader (stdlib unittest):

    /usr/bin/python3 -m unittest training.lightcurve.test_snana -v

Synthetic tables written by snana.write_bintable (independent layout arithmetic: numpy big-endian dtypes,
2880-byte padding), hand-built header cards, and, when ../shared/data is present, the ELAsTiCC2 excerpt checked
against the simulation's own per-object summary (.DUMP: NOBS, MJD_DETECT_FIRST/LAST, GENTYPE)."""
from __future__ import annotations

import gzip
import math
import os
import tarfile
import unittest

import numpy as np

from . import snana

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARBALL = os.path.join(os.environ.get("CANDELA_DATA") or os.path.join(REPO, "..", "shared", "data"),
                       "schemas", "tom_desc", "tests", "elasticc2_alert_test_data.tar.bz2")


def card(text):
    return text.ljust(80).encode("ascii")


class HeaderTest(unittest.TestCase):
    def test_values_hierarch_continue(self):
        cards = [card("SIMPLE  =                    T / conforms"),
                 card("BITPIX  =                    8"),
                 card("NAXIS   =                    0"),
                 card("STR     = 'it''s ok '           / quote escaped, trailing blanks dropped"),
                 card("FLT     =              1.5D-01 / Fortran exponent"),
                 card("NEG     =                  -42"),
                 card("FLAG    =                    F"),
                 card("HIERARCH PHOTFLAG_DETECT = 4096 / long keyword"),
                 card("LONG    = 'abc&'"),
                 card("CONTINUE  'def&'"),
                 card("CONTINUE  'ghi' / end"),
                 card("COMMENT   ignored = 'x'"),
                 card("END")]
        buf = b"".join(cards)
        buf += b" " * (-len(buf) % 2880)
        hdr, pos = snana.parse_header(buf, 0)
        self.assertEqual(pos, 2880)
        self.assertIs(hdr["SIMPLE"], True)
        self.assertIs(hdr["FLAG"], False)
        self.assertEqual(hdr["STR"], "it's ok")
        self.assertAlmostEqual(hdr["FLT"], 0.15)
        self.assertEqual(hdr["NEG"], -42)
        self.assertEqual(hdr["PHOTFLAG_DETECT"], 4096)
        self.assertEqual(hdr["LONG"], "abcdefghi")
        self.assertNotIn("COMMENT", hdr)

    def test_missing_end(self):
        with self.assertRaises(snana.FitsError):
            snana.parse_header(card("SIMPLE  =                    T") * 36, 0)


class TableTest(unittest.TestCase):
    def test_roundtrip_types(self):
        cols = [("NAME", "8A", ["a", "bcdefgh", ""]),
                ("I", "1I", [1, -2, 32767]),
                ("J", "1J", [70000, -1, 0]),
                ("K", "1K", [2 ** 40, -(2 ** 40), 5]),
                ("E", "1E", [1.5, -2.25, float("nan")]),
                ("D", "1D", [60000.123456789, -777.0, 1e-300]),
                ("V", "3E", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])]
        data = snana.write_bintable(cols, {"PHOTFLAG_DETECT": 4096})
        self.assertEqual(len(data) % 2880, 0)
        for blob in (data, gzip.compress(data)):
            hdr, t = snana.read_table(blob)
            self.assertEqual(hdr["NAXIS2"], 3)
            self.assertEqual(hdr["PHOTFLAG_DETECT"], 4096)
            self.assertEqual(list(t["NAME"]), ["a", "bcdefgh", ""])
            self.assertEqual(t["I"].tolist(), [1, -2, 32767])
            self.assertEqual(t["J"].tolist(), [70000, -1, 0])
            self.assertEqual(t["K"].tolist(), [2 ** 40, -(2 ** 40), 5])
            self.assertEqual(t["E"][:2].tolist(), [1.5, -2.25])
            self.assertTrue(math.isnan(t["E"][2]))
            self.assertEqual(t["D"].tolist(), [60000.123456789, -777.0, 1e-300])
            self.assertEqual(t["V"].shape, (3, 3))
            self.assertEqual(t["V"][1].tolist(), [4, 5, 6])
            self.assertTrue(t["D"].dtype.isnative)

    def test_big_endian_bytes(self):
        data = snana.write_bintable([("J", "1J", [1])])
        # the single row starts right after the primary HDU (1 block) and the table header (1 block)
        self.assertEqual(data[5760:5764], b"\x00\x00\x00\x01")

    def test_tscal_tzero(self):
        data = bytearray(snana.write_bintable([("U", "1I", [-32768, 0])]))
        hdr_end = data.index(b"END".ljust(80), 2880)
        data[hdr_end:hdr_end + 80] = card("TZERO1  =                32768")
        data[hdr_end + 80:hdr_end + 160] = card("END")
        _, t = snana.read_table(bytes(data))
        self.assertEqual(t["U"].tolist(), [0.0, 32768.0])

    def test_rejects_variable_length(self):
        data = bytearray(snana.write_bintable([("J", "1J", [1, 2])]))
        i = data.index(b"TFORM1  = '1J")
        data[i:i + 80] = card("TFORM1  = '1PJ(2)  '")
        with self.assertRaises(snana.FitsError):
            snana.read_table(bytes(data))

    def test_not_fits(self):
        with self.assertRaises(snana.FitsError):
            snana.read_fits(b"hello" * 1000)


def _pair():
    head = snana.write_bintable([
        ("SNID", "16A", ["11", "22"]), ("PTROBS_MIN", "1J", [1, 5]), ("PTROBS_MAX", "1J", [3, 6]),
        ("REDSHIFT_FINAL", "1E", [0.25, -9.0]), ("REDSHIFT_HELIO", "1E", [0.26, -9.0]),
        ("SIM_TYPE_INDEX", "1I", [20, 82])], {"PHOTFLAG_DETECT": 4096})
    # rows 1-3 object 11, row 4 the -777 separator, rows 5-6 object 22
    phot = snana.write_bintable([
        ("MJD", "1D", [60001.5, 60000.25, 60002.0, -777.0, 61000.0, 61000.5]),
        ("BAND", "2A", ["g", "Y", "q", "-", "u", "r"]),
        ("PHOTFLAG", "1J", [4096 | 2048, 0, 4096, 0, 0, 4096]),
        ("FLUXCAL", "1E", [100.0, -3.0, 50.0, 0.0, 7.0, 1000.0]),
        ("FLUXCALERR", "1E", [5.0, 4.0, 5.0, 0.0, 3.0, 10.0])])
    return head, phot


class SnanaTest(unittest.TestCase):
    def test_pair_conversion(self):
        h, p = _pair()
        objs = snana.objects_from_pair(h, p, "Ibc", 2223, "test")
        self.assertEqual([o["id"] for o in objs], ["11", "22"])
        a, b = objs
        f = 10 ** ((23.9 - 27.5) / 2.5)
        # unknown band 'q' dropped; sorted by MJD; Y -> lssty
        self.assertEqual([(q["mjd"], q["band"], q["kind"]) for q in a["lc"]["points"]],
                         [(60000.25, "lssty", "forced"), (60001.5, "lsstg", "detection")])
        self.assertAlmostEqual(a["lc"]["points"][1]["flux"], round(100 * f, 4))
        self.assertAlmostEqual(a["lc"]["points"][1]["fluxErr"], round(5 * f, 4))
        self.assertAlmostEqual(a["lc"]["points"][0]["flux"], round(-3 * f, 4))
        self.assertAlmostEqual(a["lc"]["context"]["hostRedshift"], 0.25)
        self.assertEqual(a["lc"]["context"]["survey"], "lsst")
        self.assertNotIn("hostRedshift", b["lc"]["context"])
        self.assertIsNone(b["redshift"])
        self.assertEqual([q["kind"] for q in b["lc"]["points"]], ["forced", "detection"])
        self.assertEqual(a["truth"]["SIM_TYPE_INDEX"], 20)
        self.assertAlmostEqual(f, 0.036307805, places=8)  # FLUXCAL (ZP 27.5) -> µJy (ZP 23.9)

    @unittest.skipUnless(os.path.exists(TARBALL), "ELAsTiCC2 excerpt not present")
    def test_elasticc_excerpt_against_dump(self):
        objs = snana.read_elasticc_tarball(TARBALL)
        counts = {}
        for o in objs:
            counts[o["label"]] = counts.get(o["label"], 0) + 1
        self.assertEqual(counts, {"Ibc": 272, "KN": 47, "Mdwarf-flare": 27})
        dump = {}
        with tarfile.open(TARBALL, "r:*") as tf:
            for m in tf.getmembers():
                if m.name.endswith(".DUMP"):
                    names = None
                    for line in tf.extractfile(m).read().decode().splitlines():
                        if line.startswith("VARNAMES:"):
                            names = line.split()[1:]
                        elif line.startswith("SN:"):
                            r = dict(zip(names, line.split()[1:]))
                            dump[r["CID"]] = r
        gentype = {"Ibc": "20", "KN": "50", "Mdwarf-flare": "82"}
        self.assertEqual(len(objs), len({o["id"] for o in objs}))
        for o in objs:
            r = dump[o["id"]]
            pts = o["lc"]["points"]
            det = [q["mjd"] for q in pts if q["kind"] == "detection"]
            self.assertEqual(r["GENTYPE"], gentype[o["label"]])
            self.assertEqual(len(pts), int(r["NOBS"]), o["id"])
            self.assertTrue(det, o["id"])
            self.assertAlmostEqual(min(det), float(r["MJD_DETECT_FIRST"]), delta=5e-3)  # .DUMP prints 3 decimals; seen up to 2.4e-3
            self.assertAlmostEqual(max(det), float(r["MJD_DETECT_LAST"]), delta=5e-3)  # .DUMP prints 3 decimals; seen up to 2.4e-3
            self.assertTrue(all(q["band"] in snana.LSST.values() for q in pts))
            self.assertEqual(pts, sorted(pts, key=lambda q: (q["mjd"], q["kind"] != "detection", q["band"])))
            if o["label"] == "Mdwarf-flare":
                self.assertIsNone(o["redshift"])
            else:
                self.assertGreaterEqual(o["redshift"], 0)


if __name__ == "__main__":
    unittest.main()
