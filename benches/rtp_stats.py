#!/usr/bin/env python3
"""Packet loss and jitter of the RTP streams in a pcap (Ethernet, as captured on lo).

   rtp_stats.py CAPTURE.pcap [src|dst LOW-HIGH]

With a direction and a port range, only the streams whose source (or destination) port is in
the range count: the server's outgoing streams are `src 20000-29999`, what the peers send it
`dst 20000-29999`.

Each stream is one (source port, destination port) pair. Loss counts the sequence numbers
missing between a stream's first and last packet in the capture window; jitter is RFC 3550's
interarrival jitter (A.8) in milliseconds, computed from capture timestamps and RTP timestamps
at 8 kHz. Prints the streams, the packets, the overall loss ratio, and the mean and worst
jitter of the streams."""
import struct
import sys


def main(path, direction=None, ports=None):
    low, high = (int(p) for p in ports.split("-")) if ports else (0, 65535)
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    offset = 24
    streams = {}
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack("<IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        arrival = sec + frac / (1e9 if nano else 1e6)
        if len(packet) < 14 + 20 + 8 + 12:
            continue
        ip = packet[14:]
        udp = ip[(ip[0] & 0x0F) * 4:]
        sport, dport = struct.unpack(">HH", udp[:4])
        port = sport if direction == "src" else dport
        if direction and not low <= port <= high:
            continue
        rtp = udp[8:]
        if rtp[0] >> 6 != 2 or (rtp[1] & 0x7F) not in (0, 8):
            continue
        seq, ts = struct.unpack(">HI", rtp[2:8])
        s = streams.setdefault((sport, dport), {"first": None, "last": None, "cycles": 0, "count": 0,
                                                 "transit": None, "jitter": 0.0})
        if s["first"] is None:
            s["first"] = seq
        elif s["last"] is not None and seq < s["last"] and s["last"] - seq > 30000:
            s["cycles"] += 65536
        s["last"] = seq
        s["ext"] = s["cycles"] + seq
        s["count"] += 1
        transit = arrival * 8000 - ts
        if s["transit"] is not None:
            d = abs(transit - s["transit"])
            s["jitter"] += (d - s["jitter"]) / 16
        s["transit"] = transit
    expected = received = 0
    jitters = []
    for s in streams.values():
        if s["count"] < 10:
            continue
        exp = s["ext"] - s["first"] + 1
        expected += exp
        received += s["count"]
        jitters.append(s["jitter"] / 8.0)
    loss = 100.0 * max(0, expected - received) / expected if expected else 0.0
    print(f"streams: {len(jitters)}")
    print(f"packets: {received} of {expected} expected")
    print(f"loss: {loss:.3f}%")
    if jitters:
        print(f"jitter: mean {sum(jitters) / len(jitters):.2f} ms, worst {max(jitters):.2f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:4])
