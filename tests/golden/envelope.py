#!/usr/bin/env python3
"""The event envelope of CONTRACT.md, checked on every line of a JSON-lines
output (packets, phone --format jsonl, tokens --format jsonl, analyze's
events.jsonl).  usage: envelope.py OUTPUT.jsonl

Every line is one JSON object with
  ts        ISO 8601 UTC with milliseconds ("2024-05-01T10:00:01.250Z") or null
  ts_epoch  the same instant in seconds (null with a null ts)
  logged_ts (when present) the same form as ts, or null
  source    pcap, live, phone, cloud (input: an analyze input that could
            not be read at all)
  protocol or artifact  a non-empty string
  kind      a non-empty string
  evidence  an object with a non-empty "file"
  correlation (when present) exactly {"group", "sources", "delta_s"}
Prints every problem (at most 20) and exits 1 when there is any.
"""
import datetime
import json
import re
import sys

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SOURCES = {"pcap", "live", "phone", "cloud", "input"}


def check(o):
    p = []
    if not isinstance(o, dict):
        return ["not an object"]
    for k in ("ts", "ts_epoch", "source", "kind", "evidence"):
        if k not in o:
            p.append("no " + k)
    ts, ep = o.get("ts"), o.get("ts_epoch")
    if ts is None:
        if ep is not None:
            p.append("ts_epoch without ts")
    elif not isinstance(ts, str) or not ISO.match(ts):
        p.append("ts %r is not ISO 8601 UTC with milliseconds" % (ts,))
    elif not isinstance(ep, (int, float)) or isinstance(ep, bool):
        p.append("ts_epoch %r is not a number" % (ep,))
    else:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if not t - 1e-6 <= ep < t + 0.001 + 1e-6:
            p.append("ts_epoch %r is not the instant of ts %s" % (ep, ts))
    lt = o.get("logged_ts")
    if lt is not None and (not isinstance(lt, str) or not ISO.match(lt)):
        p.append("logged_ts %r" % (lt,))
    if o.get("source") not in SOURCES:
        p.append("source %r" % (o.get("source"),))
    pa = o.get("protocol", o.get("artifact"))
    if not isinstance(pa, str) or not pa:
        p.append("neither protocol nor artifact")
    if not isinstance(o.get("kind"), str) or not o.get("kind"):
        p.append("kind %r" % (o.get("kind"),))
    ev = o.get("evidence")
    if not isinstance(ev, dict) or not isinstance(ev.get("file"), str) or not ev["file"]:
        p.append("evidence.file missing")
    c = o.get("correlation")
    if c is not None and (not isinstance(c, dict) or set(c) != {"group", "sources", "delta_s"}):
        p.append("correlation %r" % (c,))
    return p


def main():
    bad = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                probs = ["not JSON: %s" % e]
            else:
                probs = check(o)
            if probs:
                bad += 1
                if bad <= 20:
                    print("envelope: line %d: %s\n    %s" % (n, "; ".join(probs), line[:200].rstrip()))
    if bad:
        print("envelope: %d line(s) break the event envelope" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
