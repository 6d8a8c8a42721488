#!/usr/bin/python3
"""Drives kai-broker with an MDP client and worker written here from the 7/MDP and 8/MMI
specifications (rfc.zeromq.org/spec:7 and spec:8), independently of the project's C++ bus code, so
that any third-party Majordomo peer works with the broker unchanged.

Run by CTest with KAI_BIN_DIR pointing at build/bin."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

import zmq

BIN = os.environ.get("KAI_BIN_DIR", "build/bin")
HEARTBEAT_MS = 200
LIVENESS = 3

C_CLIENT = b"MDPC01"
W_WORKER = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self):
        self.port = free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        args = [
            os.path.join(BIN, "kai-broker"),
            f"--broker-bind={self.endpoint}",
            f"--events-xsub-bind=tcp://127.0.0.1:{free_port()}",
            f"--events-xpub-bind=tcp://127.0.0.1:{free_port()}",
            "--ops-addr=127.0.0.1:0",
            f"--heartbeat-interval={HEARTBEAT_MS}ms",
            f"--heartbeat-liveness={LIVENESS}",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(10):
            raise RuntimeError("broker did not start: " + "\n".join(self.lines))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if '"broker listening"' in line:
                self.ready.set()

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(10)
        return code


class SpecWorker(threading.Thread):
    """An MDP/Worker from the spec: DEALER, READY, serve REQUESTs, heartbeat both ways."""

    def __init__(self, ctx, endpoint, service, handler=None):
        super().__init__(daemon=True)
        self.ctx, self.endpoint, self.service = ctx, endpoint, service
        self.handler = handler or (lambda body: body)
        self.stop_flag = threading.Event()
        self.received = []  # every command the broker sent us, as frame lists
        self.served = 0

    def run(self):
        sock = self.ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(self.endpoint)
        sock.send_multipart([b"", W_WORKER, READY, self.service])
        next_hb = time.monotonic() + HEARTBEAT_MS / 1000
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        while not self.stop_flag.is_set():
            if poller.poll(20):
                frames = sock.recv_multipart()
                self.received.append(frames)
                assert frames[0] == b"" and frames[1] == W_WORKER, frames
                cmd = frames[2]
                if cmd == REQUEST:
                    client, empty, body = frames[3], frames[4], frames[5:]
                    assert empty == b""
                    sock.send_multipart([b"", W_WORKER, REPLY, client, b""] + self.handler(body))
                    self.served += 1
                    next_hb = time.monotonic() + HEARTBEAT_MS / 1000
                elif cmd == DISCONNECT:
                    break
            if time.monotonic() >= next_hb:
                sock.send_multipart([b"", W_WORKER, HEARTBEAT])
                next_hb = time.monotonic() + HEARTBEAT_MS / 1000
        if not self.stop_flag.is_set():
            pass
        else:
            sock.send_multipart([b"", W_WORKER, DISCONNECT])
        sock.close()


def req_call(ctx, endpoint, service, body_frames, timeout_ms=3000):
    """MDP/Client over a REQ socket, as the spec recommends for synchronous clients."""
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(endpoint)
    sock.send_multipart([C_CLIENT, service] + body_frames)
    if not sock.poll(timeout_ms):
        sock.close()
        return None
    reply = sock.recv_multipart()
    sock.close()
    return reply


def wait_until(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


class MdpInteropTest(unittest.TestCase):
    def setUp(self):
        self.ctx = zmq.Context()
        self.broker = Broker()
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.stop_flag.set()
            w.join(5)
        code = self.broker.stop()
        self.ctx.term()
        self.assertEqual(code, 0, "broker must exit 0 on SIGTERM")

    def start_worker(self, service, handler=None):
        w = SpecWorker(self.ctx, self.broker.endpoint, service, handler)
        w.start()
        self.workers.append(w)
        return w

    def mmi(self, service):
        reply = req_call(self.ctx, self.broker.endpoint, b"mmi.service", [service])
        self.assertIsNotNone(reply)
        return reply

    def test_request_reply_through_broker_is_byte_exact(self):
        self.start_worker(b"pyecho", lambda body: [b"re:" + body[0]] + body[1:])
        self.assertTrue(wait_until(lambda: self.mmi(b"pyecho")[2] == b"200"))
        reply = req_call(self.ctx, self.broker.endpoint, b"pyecho", [b"hello", b"\x00\xffbinary"])
        self.assertEqual(reply, [C_CLIENT, b"pyecho", b"re:hello", b"\x00\xffbinary"])

    def test_mmi_service_found_not_found_and_not_implemented(self):
        self.start_worker(b"registered")
        self.assertTrue(wait_until(lambda: self.mmi(b"registered")[2] == b"200"))
        self.assertEqual(self.mmi(b"nobody"), [C_CLIENT, b"mmi.service", b"404"])
        reply = req_call(self.ctx, self.broker.endpoint, b"mmi.unknown", [b"x"])
        self.assertEqual(reply, [C_CLIENT, b"mmi.unknown", b"501"])

    def test_async_dealer_client_with_many_requests_in_flight(self):
        self.start_worker(b"pyecho")
        self.start_worker(b"pyecho")
        self.assertTrue(wait_until(lambda: self.mmi(b"pyecho")[2] == b"200"))
        sock = self.ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(self.broker.endpoint)
        n = 200
        for i in range(n):
            sock.send_multipart([b"", C_CLIENT, b"pyecho", str(i).encode()])
        got = set()
        while len(got) < n and sock.poll(3000):
            empty, header, service, body = sock.recv_multipart()
            self.assertEqual((empty, header, service), (b"", C_CLIENT, b"pyecho"))
            got.add(int(body))
        sock.close()
        self.assertEqual(got, set(range(n)))
        self.assertGreater(self.workers[0].served, 0)
        self.assertGreater(self.workers[1].served, 0)

    def test_broker_heartbeats_idle_workers_with_three_frame_commands(self):
        w = self.start_worker(b"quiet")
        self.assertTrue(wait_until(lambda: any(f[2] == HEARTBEAT for f in w.received), 3))
        hb = next(f for f in w.received if f[2] == HEARTBEAT)
        self.assertEqual(hb, [b"", W_WORKER, HEARTBEAT])
        # Our heartbeats keep us registered well past the expiry window.
        time.sleep(HEARTBEAT_MS * LIVENESS * 2 / 1000)
        self.assertEqual(self.mmi(b"quiet")[2], b"200")

    def test_silent_worker_expires(self):
        sock = self.ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(self.broker.endpoint)
        sock.send_multipart([b"", W_WORKER, READY, b"mute"])
        self.assertTrue(wait_until(lambda: self.mmi(b"mute")[2] == b"200"))
        # Never heartbeat: gone after liveness x interval.
        self.assertTrue(wait_until(lambda: self.mmi(b"mute")[2] == b"404", 5))
        sock.close()

    def test_worker_disconnect_unregisters(self):
        w = self.start_worker(b"leaving")
        self.assertTrue(wait_until(lambda: self.mmi(b"leaving")[2] == b"200"))
        w.stop_flag.set()
        w.join(5)
        self.assertTrue(wait_until(lambda: self.mmi(b"leaving")[2] == b"404", 2))

    def test_unexpected_commands_are_answered_with_disconnect(self):
        sock = self.ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(self.broker.endpoint)
        sock.send_multipart([b"", W_WORKER, HEARTBEAT])  # heartbeat before READY
        self.assertTrue(sock.poll(2000))
        self.assertEqual(sock.recv_multipart(), [b"", W_WORKER, DISCONNECT])
        sock.send_multipart([b"", W_WORKER, READY, b"twice"])
        sock.send_multipart([b"", W_WORKER, READY, b"twice"])  # a second READY
        frames = []
        while sock.poll(2000):
            frames = sock.recv_multipart()
            if frames[2] == DISCONNECT:
                break
        self.assertEqual(frames, [b"", W_WORKER, DISCONNECT])
        sock.close()

    def test_garbage_does_not_disturb_other_peers(self):
        self.start_worker(b"pyecho")
        self.assertTrue(wait_until(lambda: self.mmi(b"pyecho")[2] == b"200"))
        bad = self.ctx.socket(zmq.DEALER)
        bad.linger = 0
        bad.connect(self.broker.endpoint)
        for frames in ([b"garbage"], [b"", b"MDPC01"], [b"", b"MDPW01", b"\x09"],
                       [b"", b"MDPC01", b"bad service", b"x"], [b"", b"HTTP/1.1 GET /"],
                       [b""] * 100):
            bad.send_multipart(frames)
        raw = socket.create_connection(("127.0.0.1", self.broker.port))
        raw.sendall(b"\xff" * 64 + b"GET / HTTP/1.1\r\n\r\n")
        raw.close()
        reply = req_call(self.ctx, self.broker.endpoint, b"pyecho", [b"still here"])
        self.assertEqual(reply, [C_CLIENT, b"pyecho", b"still here"])
        bad.close()
        self.assertTrue(any("malformed message dropped" in l for l in self.broker.lines))

    def test_spec_client_reaches_the_projects_cpp_worker(self):
        worker = subprocess.Popen(
            [os.path.join(BIN, "kai-echo-worker"), "--service=cppecho", "--raw",
             f"--broker={self.broker.endpoint}", f"--heartbeat-interval={HEARTBEAT_MS}ms",
             "--worker-slots=2", "--ops-addr=127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_until(lambda: self.mmi(b"cppecho")[2] == b"200"))
            reply = req_call(self.ctx, self.broker.endpoint, b"cppecho", [b"a", b"b"])
            self.assertEqual(reply, [C_CLIENT, b"cppecho", b"a", b"b"])
        finally:
            worker.terminate()
            self.assertEqual(worker.wait(10), 0)
        self.assertTrue(wait_until(lambda: self.mmi(b"cppecho")[2] == b"404", 3),
                        "a worker stopped with SIGTERM sends DISCONNECT")


if __name__ == "__main__":
    unittest.main(verbosity=2)
