"""HTTP/2 abuse battery against a kiln server, with Python's h2 library.

Usage: battery.py PORT PID   (PID: the server's process, for its memory)

Each case runs on its own connection while a control client on other
connections sends a GET every 50 ms; after it, the server must answer a
fresh GET with 200, the control's slowest answer must stay under 1 s, and
the server's resident memory must not have grown by more than 64 MiB. One
line per case reports what the server did, memory and the control's
latency. Exit status 1 if any case fails.
"""

import socket
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hpack
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, SettingsFrame

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
PID = int(sys.argv[2])
MAX_GROWTH_KIB = 64 * 1024


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def request(path, method="GET"):
    return [(":method", method), (":scheme", "http"), (":path", path), (":authority", "test")]


class Conn:
    """An h2 client connection over a plain socket."""

    def __init__(self, settings=None):
        self.sock = socket.create_connection((HOST, PORT))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(5)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=cfg)
        self.h2.initiate_connection()
        self.flush()

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def raw(self, data):
        self.sock.sendall(data)

    def events(self, timeout):
        """Reads once (up to `timeout` s); returns the events, or None on close."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return []
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not data:
            return None
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            return [("protocol-error", str(e))]
        self.flush()
        return events

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def get(path="/", timeout=3.0):
    """A GET on a fresh connection: (status, seconds) or (None, seconds)."""
    started = time.monotonic()
    c = Conn()
    try:
        c.h2.send_headers(1, request(path), end_stream=True)
        c.flush()
        deadline = started + timeout
        while time.monotonic() < deadline:
            evs = c.events(deadline - time.monotonic())
            if evs is None:
                break
            for e in evs:
                if isinstance(e, h2.events.ResponseReceived) and e.stream_id == 1:
                    return int(dict(e.headers)[":status"]), time.monotonic() - started
    except OSError:
        pass
    finally:
        c.close()
    return None, time.monotonic() - started


class Control(threading.Thread):
    """GETs every 50 ms while a case runs; keeps the slowest and the failures."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.slowest = 0.0
        self.failures = 0
        self.count = 0

    def run(self):
        while not self.stop.is_set():
            status, took = get()
            self.count += 1
            self.slowest = max(self.slowest, took)
            if status != 200:
                self.failures += 1
            time.sleep(0.05)


class Sampler(threading.Thread):
    """Samples the server's RSS every 20 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = rss_kib()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib())
            time.sleep(0.02)


def until_closed(c, timeout):
    """Reads until the connection ends; returns (GOAWAY error code or None, events seen)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        evs = c.events(max(0.01, deadline - time.monotonic()))
        if evs is None:
            return None, seen
        for e in evs:
            seen.append(e)
            if isinstance(e, h2.events.ConnectionTerminated):
                return int(e.error_code), seen
    return "open", seen


def rapid_reset():
    c = Conn()
    written = 0
    try:
        for i in range(20000):
            sid = 2 * i + 1
            c.h2.send_headers(sid, request("/slow"), end_stream=True)
            c.h2.reset_stream(sid, error_code=8)  # CANCEL
            written += 1
            if written % 200 == 0:
                c.flush()
        c.flush()
    except (OSError, h2.exceptions.ProtocolError):
        pass
    code, _ = until_closed(c, 3)
    c.close()
    return code == 11, f"{written} HEADERS+RST_STREAM pairs sent, GOAWAY code {code}"


def continuation_flood():
    c = Conn()
    enc = hpack.Encoder()
    first = HeadersFrame(1)
    first.flags.add("END_STREAM")
    first.data = enc.encode(request("/"))
    written = 0
    try:
        c.raw(first.serialize())
        junk = enc.encode([("x-junk", "a" * 4000)])
        for _ in range(16000):  # 64 MiB in a header block never ended
            f = ContinuationFrame(1)
            f.data = junk
            c.raw(f.serialize())
            written += len(junk) + 9
    except OSError:
        pass
    code, _ = until_closed(c, 3)
    c.close()
    ok = code is not None and code != "open" and written < 32 << 20
    return ok, f"{written} bytes of CONTINUATION sent before the server stopped reading, GOAWAY code {code}"


def settings_flood():
    c = Conn()
    sent = 0
    try:
        for _ in range(100000):
            f = SettingsFrame(0)
            f.settings = {SettingsFrame.MAX_CONCURRENT_STREAMS: 100}
            c.raw(f.serialize())
            sent += 1
    except OSError:
        pass
    code, seen = until_closed(c, 1)
    acks = sum(isinstance(e, h2.events.SettingsAcknowledged) for e in seen)
    c.close()
    return True, f"{sent} SETTINGS sent (ACKs never read while sending), then: {code} ({acks} ACKs read after)"


def ping_flood():
    c = Conn()
    sent = 0
    try:
        for i in range(100000):
            f = PingFrame(0)
            f.opaque_data = i.to_bytes(8, "big")
            c.raw(f.serialize())
            sent += 1
    except OSError:
        pass
    code, seen = until_closed(c, 1)
    pongs = sum(isinstance(e, h2.events.PingAckReceived) for e in seen)
    c.close()
    return True, f"{sent} PINGs sent, then: {code} ({pongs} PING ACKs read after)"


def hpack_bomb():
    c = Conn()
    # h2's encoder indexes the header once and refers to it 2000 times:
    # about 8 MB of headers decoded from a few KB.
    headers = request("/") + [("x-bomb", "b" * 4000)] * 2000
    c.h2.send_headers(1, headers, end_stream=True)
    c.flush()
    deadline = time.monotonic() + 3
    outcome = "no answer"
    while time.monotonic() < deadline:
        evs = c.events(deadline - time.monotonic())
        if evs is None:
            outcome = "closed"
            break
        done = False
        for e in evs:
            if isinstance(e, h2.events.ResponseReceived):
                outcome = f"status {dict(e.headers)[':status']}"
                done = True
            elif isinstance(e, h2.events.StreamReset):
                outcome = f"RST_STREAM code {int(e.error_code)}"
                done = True
            elif isinstance(e, h2.events.ConnectionTerminated):
                outcome = f"GOAWAY code {int(e.error_code)}"
                done = True
        if done:
            break
    c.close()
    ok = outcome.startswith(("GOAWAY", "RST_STREAM", "status 431", "closed"))
    return ok, f"2000 references to a 4000-byte header: {outcome}"


def stalled_body():
    c = Conn()
    c.h2.send_headers(1, request("/echo", "POST") + [("content-length", "100")])
    c.h2.send_data(1, b"ab")
    c.flush()
    started = time.monotonic()
    deadline = started + 5
    outcome = "no answer"
    while time.monotonic() < deadline:
        evs = c.events(deadline - time.monotonic())
        if evs is None:
            outcome = "closed"
            break
        hit = [e for e in evs if isinstance(e, h2.events.ResponseReceived) and e.stream_id == 1]
        if hit:
            outcome = f"status {dict(hit[0].headers)[':status']} after {time.monotonic() - started:.2f} s"
            break
    c.close()
    return outcome.startswith("status 408"), f"2 of 100 body bytes, then silence: {outcome}"


def too_many_streams():
    c = Conn()
    # Sent before the server's SETTINGS are read, so h2 does not hold them back.
    for i in range(10):
        c.h2.send_headers(2 * i + 1, request("/slow"), end_stream=True)
    c.flush()
    served = refused = 0
    deadline = time.monotonic() + 5
    while served + refused < 10 and time.monotonic() < deadline:
        evs = c.events(deadline - time.monotonic())
        if evs is None:
            break
        for e in evs:
            if isinstance(e, h2.events.ResponseReceived):
                served += 1
            elif isinstance(e, h2.events.StreamReset) and int(e.error_code) == 7:
                refused += 1
    c.close()
    return (served, refused) == (4, 6), f"10 streams at once, limit 4: {served} served, {refused} refused (REFUSED_STREAM)"


CASES = [
    ("rapid reset (CVE-2023-44487)", rapid_reset),
    ("CONTINUATION flood", continuation_flood),
    ("SETTINGS flood", settings_flood),
    ("PING flood", ping_flood),
    ("HPACK header bomb", hpack_bomb),
    ("stream that never sends its body", stalled_body),
    ("more concurrent streams than allowed", too_many_streams),
]


def main():
    failed = 0
    status, _ = get()
    if status != 200:
        print(f"battery: the server at {HOST}:{PORT} does not answer 200 ({status})")
        return 1
    for name, case in CASES:
        before = rss_kib()
        sampler, control = Sampler(), Control()
        sampler.start()
        control.start()
        started = time.monotonic()
        try:
            ok, what = case()
        except Exception as e:  # a case that crashes is a failure, not the end
            ok, what = False, f"raised {e!r}"
        took = time.monotonic() - started
        control.stop.set()
        sampler.stop.set()
        control.join()
        sampler.join()
        after_status, _ = get()
        growth = sampler.peak - before
        ok = ok and after_status == 200 and control.failures == 0 and control.slowest < 1.0
        ok = ok and growth < MAX_GROWTH_KIB
        failed += not ok
        print(
            f"{'ok  ' if ok else 'FAIL'} {name}: {what}; {took:.2f} s; RSS {before} KiB -> peak {sampler.peak} KiB"
            f" (+{growth}); control: {control.count} GETs, {control.failures} failed, slowest {control.slowest * 1000:.0f} ms;"
            f" GET after: {after_status}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
