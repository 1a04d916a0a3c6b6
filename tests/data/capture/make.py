#!/usr/bin/python3
"""Generates the small capture fixtures used by tests/unit/test_capture_reader.c.

Standard library only; deterministic (gzip mtime 0), so rerunning it gives
the same bytes unless zlib's output changes.  Run from anywhere:
    /usr/bin/python3 tests/data/capture/make.py
Writes the files next to this script plus SHA256SUMS (sha256sum -c format).
"""
import gzip
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = {}


def payload(n, seed):
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


# ---- classic pcap -------------------------------------------------------

def pcap(records, be=False, ns=False, linktype=1, snaplen=65535):
    e = '>' if be else '<'
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = struct.pack(e + 'IHHiIII', magic, 2, 4, 0, 0, snaplen, linktype)
    for sec, frac, data, wirelen in records:
        out += struct.pack(e + 'IIII', sec, frac, len(data), wirelen) + data
    return out


PCAP_US_LE = pcap([
    (1617026674, 123456, payload(60, 1), 60),
    (1617026675, 1, payload(42, 2), 42),
    (1617026676, 999999, payload(64, 3), 1514),
])
PCAP_NS_BE = pcap([
    (1617026674, 123456789, payload(28, 4), 28),
    (1617026674, 999999999, payload(20, 5), 40),
], be=True, ns=True, linktype=101)


# ---- pcapng -------------------------------------------------------------

def pad4(b):
    return b + b'\0' * (-len(b) % 4)


def opt(e, code, value):
    return struct.pack(e + 'HH', code, len(value)) + pad4(value)


def opts_end(e, *opts):
    return b''.join(opts) + struct.pack(e + 'HH', 0, 0) if opts else b''


def block(e, btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(e + 'II', btype, n) + body + struct.pack(e + 'I', n)


def shb(e, *opts):
    return block(e, 0x0A0D0D0A, struct.pack(e + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + opts_end(e, *opts))


def idb(e, linktype, snaplen, *opts):
    return block(e, 1, struct.pack(e + 'HHI', linktype, 0, snaplen) + opts_end(e, *opts))


def epb(e, ifid, ts, data, wirelen=None):
    wl = len(data) if wirelen is None else wirelen
    return block(e, 6, struct.pack(e + 'IIIII', ifid, ts >> 32, ts & 0xFFFFFFFF, len(data), wl) + pad4(data))


def spb(e, wirelen, data):
    return block(e, 3, struct.pack(e + 'I', wirelen) + pad4(data))


def pb(e, ifid, ts, data):
    return block(e, 2, struct.pack(e + 'HHIIII', ifid, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + pad4(data))


def dsb(e, stype, data):
    return block(e, 0x0A, struct.pack(e + 'II', stype, len(data)) + pad4(data))


L = '<'
# if0 Ethernet, default resolution (us), snaplen 64 (the SPB uses it);
# if1 LINKTYPE_IPV4, 10^-9 with if_tsoffset 3600 s; if2 RAW, 2^-20.
NG_TWO_IF = b''.join([
    shb(L, opt(L, 4, b'miforensics make.py')),
    idb(L, 1, 64, opt(L, 2, b'eth0')),
    idb(L, 228, 0, opt(L, 9, bytes([9])), opt(L, 14, struct.pack('<q', 3600))),
    block(L, 4, struct.pack('<HH', 0, 0)),                      # NRB, empty
    epb(L, 0, 1617026674123456, payload(60, 10)),               # frame 1
    epb(L, 1, 1617026674123456789, payload(33, 11), 40),        # frame 2
    idb(L, 101, 0, opt(L, 9, bytes([0x80 | 20]))),
    epb(L, 2, (1617026674 << 20) | (1 << 19) | 1, payload(20, 12)),  # frame 3
    block(L, 5, struct.pack('<III', 0, 0, 0)),                  # ISB
    block(L, 0x00000BAD, struct.pack('<I', 32473) + b'vendor'),  # custom
    spb(L, 100, payload(64, 13)),                               # frame 4
    pb(L, 1, 1617026680000000001, payload(24, 14)),             # frame 5
    epb(L, 7, 1617026681000000, payload(16, 15)),               # frame 6: no if 7
    block(L, 0x00001234, b'\1\2\3\4'),                          # unknown
    epb(L, 0, 1617026690000000, payload(61, 16)),               # frame 7
])

B = '>'
NG_BE = b''.join([
    shb(B),
    idb(B, 1, 65535, opt(B, 9, bytes([3]))),
    epb(B, 0, 1617026674123, payload(50, 20)),
    epb(B, 0, 1617026675999, payload(51, 21)),
    shb(L),                                                     # new section, LE
    idb(L, 228, 0),
    epb(L, 0, 1617026700000001, payload(52, 22)),
])

KEYLOG = (b'CLIENT_RANDOM '
          b'0102030405060708091011121314151617181920212223242526272829303132 '
          b'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
          b'202122232425262728292a2b2c2d2e2f\n')
NG_DSB = b''.join([
    shb(L),
    dsb(L, 0x544C534B, KEYLOG),
    idb(L, 1, 0),
    epb(L, 0, 1617026674000000, payload(60, 30)),
    dsb(L, 0x57474B4C, b'wg-key'),
    epb(L, 0, 1617026674500000, payload(60, 31)),
])


def main():
    files = {
        'pcap_us_le.pcap': PCAP_US_LE,
        'pcap_ns_be.pcap': PCAP_NS_BE,
        'ng_two_if.pcapng': NG_TWO_IF,
        'ng_be.pcapng': NG_BE,
        'ng_dsb.pcapng': NG_DSB,
    }
    for name, data in list(files.items()):
        files[name + '.gz'] = gzip.compress(data, mtime=0)
    # Three gzip members back to back (gzip(1) and zcat decode them all).
    a, b = len(NG_TWO_IF) // 3, 2 * len(NG_TWO_IF) // 3
    files['ng_two_if.multi.gz'] = b''.join(gzip.compress(p, mtime=0) for p in
                                           (NG_TWO_IF[:a], NG_TWO_IF[a:b], NG_TWO_IF[b:]))
    # Zero padding after the gzip data (tape/block padding): ignored, anomaly.
    files['pcap_us_le.garbage.gz'] = gzip.compress(PCAP_US_LE, mtime=0) + b'\0' * 64
    # Bad CRC32 in the gzip trailer: all frames, then MF_ERR_FORMAT.
    g = bytearray(gzip.compress(PCAP_US_LE, mtime=0))
    g[-8] ^= 0xFF
    files['pcap_badcrc.pcap.gz'] = bytes(g)
    # Truncations: inside frame 3's data / inside frame 3's block.
    files['trunc.pcap'] = PCAP_US_LE[:24 + 16 + 60 + 16 + 42 + 16 + 10]
    cut = NG_TWO_IF.index(epb(L, 2, (1617026674 << 20) | (1 << 19) | 1, payload(20, 12))) + 20
    files['trunc.pcapng'] = NG_TWO_IF[:cut]
    full = gzip.compress(NG_TWO_IF, mtime=0)
    files['trunc.pcapng.gz'] = full[:len(full) // 2]
    # Damaged framing: trailing length of the second EPB differs.
    bad = bytearray(NG_DSB)
    last = len(NG_DSB) - 4
    bad[last:last + 4] = struct.pack('<I', struct.unpack('<I', NG_DSB[last:])[0] + 4)
    files['badlen.pcapng'] = bytes(bad)
    # Damaged framing: first EPB total length not a multiple of 4.
    bad = bytearray(NG_DSB)
    pos = NG_DSB.index(epb(L, 0, 1617026674000000, payload(60, 30)))
    bad[pos + 4:pos + 8] = struct.pack('<I', struct.unpack('<I', NG_DSB[pos + 4:pos + 8])[0] + 2)
    files['badlen4.pcapng'] = bytes(bad)
    # Record longer than the file's snaplen: libpcap keeps 64 bytes (anomaly).
    files['pcap_snapcut.pcap'] = pcap([
        (1617026674, 1, payload(100, 6), 100),
        (1617026674, 2, payload(10, 7), 10),
    ], snaplen=64)
    files['notcap.txt'] = b'this is not a capture file\n'
    files['notcap.txt.gz'] = gzip.compress(files['notcap.txt'], mtime=0)

    sums = []
    for name in sorted(files):
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(files[name])
        sums.append('%s  %s\n' % (hashlib.sha256(files[name]).hexdigest(), name))
    with open(os.path.join(HERE, 'SHA256SUMS'), 'w') as f:
        f.writelines(sums)


if __name__ == '__main__':
    main()
