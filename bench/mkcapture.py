#!/usr/bin/python3
"""Builds the benchmark capture: mostly bulk TCP (1514-byte Ethernet frames)
with a few hundred thousand valid miIO datagrams mixed in, built with
python-miio's own codec (Debian python3-miio) so every one decrypts.

usage: mkcapture.py OUT.pcap TOKENS.txt [total_MB] [miio_packets]
"""
import datetime
import random
import struct
import sys

from miio.protocol import Message

out, tokfile = sys.argv[1], sys.argv[2]
total_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 400
n_miio = int(sys.argv[4]) if len(sys.argv) > 4 else 300000

rnd = random.Random(1)
devices = []
for i in range(20):
    tok = bytes(rnd.getrandbits(8) for _ in range(16))
    devices.append((0x04000000 + i, tok, "10.9.0.%d" % (10 + i)))
with open(tokfile, "w") as f:
    f.write("# invented benchmark tokens\n")
    for did, tok, _ in devices:
        f.write("%d %s\n" % (did, tok.hex()))


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def eth_ip(src, dst, proto, l4):
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                      ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + iph + l4


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


# A pool of distinct miIO frames (requests and responses), reused cyclically.
pool = []
for k in range(4000):
    did, tok, ip = devices[(k // 2) % len(devices)]
    rid = k + 1
    if k % 2 == 0:
        data = {"id": rid, "method": "get_prop", "params": ["power", "temperature", "humidity"]}
        src, dst, sp, dp = "10.9.0.2", ip, 40000 + (k % 1000), 54321
    else:
        data = {"id": rid - 1, "result": ["on", 231, 45]}
        src, dst, sp, dp = ip, "10.9.0.2", 54321, 40000 + ((k - 1) % 1000)
    msg = Message.build({"data": {"value": data},
                         "header": {"value": {"length": 0, "unknown": 0,
                                              "device_id": struct.pack(">I", did),
                                              "ts": datetime.datetime.utcfromtimestamp(3141342 + k)}},
                         "checksum": 0}, token=tok)
    pool.append(eth_ip(src, dst, 17, udp(sp, dp, msg)))

payload = bytes(rnd.getrandbits(8) for _ in range(1460))
bulk = []
for k in range(64):
    seq = struct.pack("!I", k * 1460)
    tcp = struct.pack("!HH4sIBBHHH", 443, 50000 + k % 4, seq, 0, 0x50, 0x18, 65535, 0, 0)
    bulk.append(eth_ip("10.9.1.1", "10.9.0.2", 6, tcp + payload))

target = total_mb * 1000 * 1000
written = 24
t = 1700000000 * 1000000
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    chunk = []
    i = m = 0
    while written < target or m < n_miio:
        # spread the miIO packets evenly through the bulk traffic
        if m < n_miio and (written >= target or m * target <= written * n_miio):
            fr = pool[m % len(pool)]
            m += 1
        else:
            fr = bulk[i % len(bulk)]
            i += 1
        t += 50
        chunk.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)) + fr)
        written += 16 + len(fr)
        if len(chunk) >= 4096:
            f.write(b"".join(chunk))
            chunk = []
    f.write(b"".join(chunk))
print("%s: %.0f MB, %d miIO datagrams" % (out, written / 1e6, m))
