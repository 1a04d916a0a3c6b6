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
           ("live" / "pcap"); lines due when a wait ends (unanswered
           requests, frames/calls no token or key opened) as a multiset.
  analyze  A = events of a live run, B = `analyze DIR --format jsonl`
           (sorted, with registry fields and correlation added): the
           multiset of (protocol, kind, event, did, reason, evidence file,
           frame, source) must be equal.
A miIO request that `live` wrote before its answer came (it waits 50 ms,
so that no event is late: "released", without miio.answered,
response_frame, retransmitted_as) is compared without those fields, and
in "exact" mode its line may stand elsewhere (offline it is written when
settled); every other line keeps its place.
Exit 0 when equal, 1 (with the differences) otherwise.
"""
import collections
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


SETTLE = ("answered", "response_frame", "retransmitted_as")


def released(ev):
    """A live miIO request line written before it was settled."""
    mi = ev.get("miio")
    return (ev.get("protocol") == "miio" and isinstance(mi, dict) and "id" in mi and
            isinstance(ev.get("raw"), dict) and "method" in ev["raw"] and
            "answered" not in mi)


def identity(ev):
    e = ev.get("evidence") or {}
    mi = ev.get("miio") if isinstance(ev.get("miio"), dict) else {}
    return (e.get("file"), e.get("frame"), mi.get("part"), ev.get("kind"), ev.get("protocol"))


def unsettle(ev):
    ev = json.loads(json.dumps(ev))
    for k in SETTLE:
        ev["miio"].pop(k, None)
    return ev


def apply_released(a, b, key):
    """Strips the settle fields from the lines of b whose live line in a
    was released; returns (a, b, released identities)."""
    rel = collections.Counter(key(e) for e in a if released(e))
    out = []
    for e in b:
        k = key(e)
        if rel.get(k) and isinstance(e.get("miio"), dict):
            e = unsettle(e)
        out.append(e)
    return a, out, rel


def waited(ev):
    """Due when a wait ends: its place in the output follows the clock."""
    mi = ev.get("miio") if isinstance(ev.get("miio"), dict) else {}
    mc = ev.get("micloud") if isinstance(ev.get("micloud"), dict) else {}
    return (ev.get("reason") == "unanswered" or mi.get("token_wait") == "never_opened" or
            mc.get("key_wait") == "never_opened")


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
        # the frame numbers of the fixture and of a single evidence file agree
        a, b, _ = apply_released(a, b, lambda e: strip_fixture(unsettle(e)) if isinstance(
            e.get("miio"), dict) else None)
        ok = diff([strip_fixture(e) for e in a], [strip_fixture(e) for e in b], "live", "fixture")
    elif mode == "exact":
        a, b, rel = apply_released(a, b, identity)
        # a released line, and a line due when a wait ends (an unanswered
        # request, a frame or call no token or key opened), is compared as a
        # multiset: live's clock runs on after the last packet, the offline
        # reader's ends with it; the rest keep their order
        def loose(e):
            return rel.get(identity(e)) or waited(e)
        ra = [strip_exact(e) for e in a if loose(e)]
        rb = [strip_exact(e) for e in b if loose(e)]
        ok = diff(ra, rb, "live", "evidence")
        a = [e for e in a if not loose(e)]
        b = [e for e in b if not loose(e)]
        sa, sb = [strip_exact(e) for e in a], [strip_exact(e) for e in b]
        ok = ok and sa == sb
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
