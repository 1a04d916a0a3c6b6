#!/usr/bin/python3
"""Compares two event streams (JSON lines) for the live capture tests.

usage: compare.py MODE A.jsonl B.jsonl

  fixture  A = events of a live run, B = `packets` on the replayed fixture.
           The capture times differ (the replay happens now), so fields
           derived from them are left out: ts, ts_epoch, source,
           evidence.file, miio.device_boot, miio.rtt_ms.  Compared as
           multisets; every event of B must be in A and nothing else.
  exact    A = events of a live run, B = `packets` on its evidence files in
           manifest order: the same lines in the same order, but "source"
           ("live" / "pcap").
  analyze  A = events of a live run, B = `analyze DIR --format jsonl`
           (sorted, with registry fields and correlation added): the
           multiset of (protocol, kind, event, did, reason, evidence file,
           frame, source) must be equal.
Exit 0 when equal, 1 (with the differences) otherwise.
"""
import collections
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def strip_fixture(ev):
    ev = json.loads(json.dumps(ev))
    for k in ("ts", "ts_epoch", "source"):
        ev.pop(k, None)
    if isinstance(ev.get("evidence"), dict):
        ev["evidence"].pop("file", None)
        ev["evidence"].pop("sha256", None)
    mi = ev.get("miio")
    if isinstance(mi, dict):
        for k in ("device_boot", "rtt_ms"):
            mi.pop(k, None)
    return json.dumps(ev, sort_keys=True)


def strip_exact(ev):
    ev = dict(ev)
    ev.pop("source", None)
    return json.dumps(ev, sort_keys=True)


def project(ev):
    e = ev.get("evidence") or {}
    return json.dumps([ev.get("protocol"), ev.get("kind"), ev.get("event"), ev.get("did"),
                       ev.get("reason"), e.get("file"), e.get("frame"), ev.get("source")])


def diff(a, b, label_a, label_b):
    ca, cb = collections.Counter(a), collections.Counter(b)
    only_a, only_b = ca - cb, cb - ca
    for k, n in list(only_a.items())[:10]:
        print("only in %s (x%d): %s" % (label_a, n, k[:400]))
    for k, n in list(only_b.items())[:10]:
        print("only in %s (x%d): %s" % (label_b, n, k[:400]))
    return not only_a and not only_b


def main():
    mode, pa, pb = sys.argv[1:4]
    a, b = load(pa), load(pb)
    if not b:
        print("%s: no events at all" % pb)
        return 1
    if mode == "fixture":
        ok = diff([strip_fixture(e) for e in a], [strip_fixture(e) for e in b], "live", "fixture")
    elif mode == "exact":
        sa, sb = [strip_exact(e) for e in a], [strip_exact(e) for e in b]
        ok = sa == sb
        if not ok:
            diff(sa, sb, "live", "evidence")
            for i, (x, y) in enumerate(zip(sa, sb)):
                if x != y:
                    print("first difference at line %d:\n  live     %s\n  evidence %s"
                          % (i + 1, x[:400], y[:400]))
                    break
            if len(sa) != len(sb):
                print("%d live lines, %d from the evidence" % (len(sa), len(sb)))
    elif mode == "analyze":
        ok = diff([project(e) for e in a], [project(e) for e in b], "live", "analyze")
    else:
        print("unknown mode " + mode)
        return 2
    print("%s: %d and %d events, %s" % (mode, len(a), len(b), "same" if ok else "DIFFERENT"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
