#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a KMS endpoint that injects faults, for Coffer's tests.

    python3 scripts/kms_fault_proxy.py UPSTREAM_URL   # prints "PORT\n" on stdout when ready

Every request is forwarded to UPSTREAM_URL (moto_server) unchanged, unless a fault is armed:
    POST /__fault {"throttle": N}   the next N KMS requests get HTTP 400 ThrottlingException
    POST /__fault {"error500": N}   the next N KMS requests get HTTP 500 KMSInternalException
    GET  /__stats                    {"forwarded": F, "faulted": T}
Killing the process is how a test makes KMS unreachable.
"""
import http.server
import json
import sys
import threading
import urllib.error
import urllib.request

UPSTREAM = sys.argv[1].rstrip("/")
lock = threading.Lock()
state = {"throttle": 0, "error500": 0, "forwarded": 0, "faulted": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/x-amz-json-1.1"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                return self.reply(200, {"forwarded": state["forwarded"], "faulted": state["faulted"]}, "application/json")
        self.forward()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/__fault":
            with lock:
                state.update(json.loads(body or b"{}"))
            return self.reply(200, {}, "application/json")
        with lock:
            if state["throttle"] > 0:
                state["throttle"] -= 1
                state["faulted"] += 1
                fault = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
            elif state["error500"] > 0:
                state["error500"] -= 1
                state["faulted"] += 1
                fault = (500, {"__type": "KMSInternalException", "message": "injected"})
            else:
                fault = None
                state["forwarded"] += 1
        if fault:
            return self.reply(*fault)
        self.forward(body)

    def forward(self, body=None):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(UPSTREAM + self.path, data=body, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "application/json")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
