#!/usr/bin/env python3
"""Field assertions on miforensics JSON-lines output (suricata-verify style).

usage: check.py EXPECT [OUTPUT.jsonl]        (output read from stdin without it)

EXPECT holds one JSON filter per line; blank lines and lines starting with '#'
are ignored, and `include OTHER.expect` (path relative to EXPECT) pulls in the
filters of another file.  A filter selects the events that satisfy all of

  "match":        {"path": want, ...}   every path present and equal to want
  "match_absent": ["path", ...]         every path absent

and then checks how many there were:

  "count": N        exactly N            (default, when no count is given: at least 1)
  "min_count": N    at least N
  "max_count": N    at most N

A path is dotted into nested objects ("miio.id", "value.ap.ssid"); a numeric
component indexes a list ("value.0"); a key that itself contains dots is
found too.  `want` is compared as JSON (1 == 1.0, but true != 1), unless it is
an object whose keys all start with '$', an operator:

  {"$re": "regex"}        a string that re.search matches
  {"$contains": x}        a list holding x (an element equal to x), or a
                          string holding the substring x
  {"$exists": bool}       the path is present (true) or absent (false)
  {"$ne": x}              present and not equal to x
  {"$in": [x, y]}         equal to one of them
  {"$type": "number"}     number|string|bool|null|list|object
  {"$gt": n} {"$ge": n} {"$lt": n} {"$le": n}

A filter with "doc": PATH checks a single JSON document instead of JSON
lines (e.g. an analyze report's case.json): the output is parsed as one JSON
value, PATH (dotted as above; "" = the document itself) selects a list whose
items are then filtered and counted like events, or an object, which counts
as a one-item list; the path "" in "match" is the item itself (for lists
of strings or numbers).  E.g.:

  {"doc": "correlation.devices", "match": {"did": "x", "matched": 19}, "count": 1}
  {"doc": "", "match": {"counts.events": {"$gt": 0}}}
  {"doc": "warnings", "match": {"": {"$re": "capture gap"}}, "count": 1}

Another kind of line checks the raw output text:
  {"absent_text": "s"}    the string s occurs nowhere in the output (e.g. a secret)
  {"present_text": "s"}   it occurs somewhere

Each line may carry a "name" to show in reports.  Every failing filter is
printed with the nearest candidate events (most conditions satisfied) and the
conditions they miss.  The last line is "N passed, N failed"; the exit status
is 1 when anything failed (also for unparsable output or expectations), else 0.
"""
import json
import os
import re
import sys

MISSING = object()


def resolve(obj, path):
    """The value at a dotted path, or MISSING ("" = obj itself)."""
    if path == "":
        return obj
    if isinstance(obj, dict) and path in obj:
        return obj[path]
    parts = path.split(".")
    for i in range(len(parts), 0, -1):   # longest literal key first ("a.b" keys)
        head = ".".join(parts[:i])
        rest = ".".join(parts[i:])
        if isinstance(obj, dict) and head in obj:
            sub = obj[head]
        elif isinstance(obj, list) and i == 1 and re.fullmatch(r"-?\d+", head):
            k = int(head)
            if not -len(obj) <= k < len(obj):
                return MISSING
            sub = obj[k]
        else:
            continue
        if not rest:
            return sub
        v = resolve(sub, rest)
        if v is not MISSING:
            return v
    return MISSING


def jtype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "list"
    return "object"


def equal(a, b):
    """JSON equality: numbers by value, but booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def is_op(want):
    return isinstance(want, dict) and want and all(k.startswith("$") for k in want)


def check_op(op, arg, have):
    if op == "$exists":
        return (have is not MISSING) == bool(arg)
    if have is MISSING:
        return False
    if op == "$re":
        return isinstance(have, str) and re.search(arg, have) is not None
    if op == "$contains":
        if isinstance(have, list):
            return any(equal(x, arg) for x in have)
        return isinstance(have, str) and isinstance(arg, str) and arg in have
    if op == "$ne":
        return not equal(have, arg)
    if op == "$in":
        return any(equal(have, x) for x in arg)
    if op == "$type":
        return jtype(have) == arg
    if op in ("$gt", "$ge", "$lt", "$le"):
        if jtype(have) != "number":
            return False
        return {"$gt": have > arg, "$ge": have >= arg, "$lt": have < arg,
                "$le": have <= arg}[op]
    raise ValueError("unknown operator %s" % op)


def cond_ok(ev, path, want):
    have = resolve(ev, path)
    if is_op(want):
        return all(check_op(op, arg, have) for op, arg in want.items())
    return have is not MISSING and equal(have, want)


def conditions(flt):
    conds = [(p, w) for p, w in flt.get("match", {}).items()]
    conds += [(p, {"$exists": False}) for p in flt.get("match_absent", [])]
    return conds


def short(v, n=160):
    s = json.dumps(v, sort_keys=True, ensure_ascii=False) if v is not MISSING else "(absent)"
    return s if len(s) <= n else s[:n - 3] + "..."


def load_expect(path, seen=None):
    """[(where, filter)], following `include` lines."""
    seen = seen or set()
    rp = os.path.realpath(path)
    if rp in seen:
        raise ValueError("%s: include loop" % path)
    seen = seen | {rp}
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            where = "%s:%d" % (os.path.basename(path), n)
            if s.startswith("include "):
                out += load_expect(os.path.join(os.path.dirname(path), s[8:].strip()), seen)
                continue
            try:
                flt = json.loads(s)
            except ValueError as e:
                raise ValueError("%s: not JSON: %s" % (where, e))
            if not isinstance(flt, dict):
                raise ValueError("%s: a filter must be a JSON object" % where)
            known = {"match", "match_absent", "count", "min_count", "max_count", "name",
                     "absent_text", "present_text", "doc"}
            bad = set(flt) - known
            if bad:
                raise ValueError("%s: unknown keys %s" % (where, sorted(bad)))
            for p, w in flt.get("match", {}).items():
                if is_op(w):
                    for op in w:
                        if op not in ("$re", "$contains", "$exists", "$ne", "$in", "$type",
                                      "$gt", "$ge", "$lt", "$le"):
                            raise ValueError("%s: unknown operator %s" % (where, op))
            out.append((where, flt))
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    try:
        filters = load_expect(argv[1])
    except (OSError, ValueError) as e:
        print("check.py: %s" % e)
        print("0 passed, 1 failed")
        return 1
    if len(argv) == 3:
        with open(argv[2], "rb") as f:
            raw = f.read()
    else:
        raw = sys.stdin.buffer.read()
    text = raw.decode("utf-8", "replace")
    events, bad_lines = [], []
    doc, doc_err = MISSING, None
    if any("doc" in f for _, f in filters):
        try:
            doc = json.loads(text)
        except ValueError as e:
            doc_err = str(e)
    textual = ("absent_text", "present_text", "doc")
    lines = text.splitlines() if any(not set(textual) & set(f) for _, f in filters) else []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
            if not isinstance(ev, dict):
                raise ValueError("not an object")
            events.append((n, ev))
        except ValueError as e:
            bad_lines.append((n, str(e), line))

    passed = failed = 0
    if bad_lines:
        failed += 1
        print("FAIL output: %d line(s) are not JSON objects" % len(bad_lines))
        for n, e, line in bad_lines[:5]:
            print("    line %d: %s: %s" % (n, e, line[:160]))

    for where, flt in filters:
        label = "%s%s" % (where, " (%s)" % flt["name"] if "name" in flt else "")
        if "absent_text" in flt or "present_text" in flt:
            s = flt.get("absent_text", flt.get("present_text"))
            found = s in text
            ok = found if "present_text" in flt else not found
            if ok:
                passed += 1
            else:
                failed += 1
                print("FAIL %s: %r %s the output" % (label, s, "occurs in" if found else
                                                     "does not occur in"))
                if found:
                    for n, ev in events:
                        if s in json.dumps(ev, ensure_ascii=False):
                            print("    line %d: %s" % (n, short(ev, 300)))
                            break
            continue
        conds = conditions(flt)
        items = events
        if "doc" in flt:
            sel = doc if flt["doc"] == "" or doc is MISSING else resolve(doc, flt["doc"])
            if doc is MISSING or sel is MISSING or not isinstance(sel, (list, dict)):
                failed += 1
                print("FAIL %s: %s" % (label, "output is not one JSON document: %s" % doc_err
                                       if doc is MISSING else "no list or object at doc path "
                                       "%r (have %s)" % (flt["doc"], short(sel))))
                continue
            sel = sel if isinstance(sel, list) else [sel]
            items = list(enumerate(sel))
        hits = [(n, ev) for n, ev in items if all(cond_ok(ev, p, w) for p, w in conds)]
        c = len(hits)
        if "count" in flt:
            ok, want = c == flt["count"], "exactly %d" % flt["count"]
        else:
            lo = flt.get("min_count", 1 if "max_count" not in flt else 0)
            hi = flt.get("max_count")
            ok = c >= lo and (hi is None or c <= hi)
            want = "at least %d" % lo + ("" if hi is None else ", at most %d" % hi)
        if ok:
            passed += 1
            continue
        failed += 1
        print("FAIL %s: %s" % (label, json.dumps(flt, sort_keys=True)))
        what = "item" if "doc" in flt else "line"
        print("    %d %s matched, want %s" % (c, "item(s)" if "doc" in flt else "event(s)", want))
        if hits and (c > flt.get("count", flt.get("max_count", c))):
            for n, ev in hits[:3]:
                print("    matched %s %d: %s" % (what, n, short(ev, 300)))
            continue
        # nearest candidates: most conditions satisfied, earliest first
        scored = []
        for n, ev in items:
            miss = [(p, w) for p, w in conds if not cond_ok(ev, p, w)]
            if miss:
                scored.append((len(miss), n, ev, miss))
        scored.sort(key=lambda x: (x[0], x[1]))
        for nmiss, n, ev, miss in scored[:3]:
            print("    nearest %s %d (%d of %d conditions miss):" % (what, n, nmiss, len(conds)))
            for p, w in miss:
                print("        %s: want %s, have %s" % (p, short(w), short(resolve(ev, p))))
        if not scored:
            print("    (no events to compare)")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
