"""A webhook receiver for tests: a real HTTP server on a free port that answers a script of
status codes, checks signatures and records each event once (by its id), as a careful
receiver would."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from outbox.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_verify


@dataclass
class Receiver:
    secret: str = ""
    script: list[int] = field(default_factory=list)  # answers to the first calls, then 200
    hang_first: bool = False  # the first call waits until `release` is set
    calls: list[dict] = field(default_factory=list)
    events: dict[str, bytes] = field(default_factory=dict)  # event id -> body, deduplicated
    first_call: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                number = len(receiver.calls)
                event_id = self.headers.get(EVENT_ID_HEADER, "")
                signed = signature_verify(
                    secret=receiver.secret,
                    header=self.headers.get(SIGNATURE_HEADER, ""),
                    body=body,
                )
                receiver.calls.append({"id": event_id, "signed": signed, "body": body})
                receiver.first_call.set()
                if number == 0 and receiver.hang_first:
                    receiver.release.wait(30)
                status = receiver.script[number] if number < len(receiver.script) else 200
                if not signed:
                    status = 400
                if status == 200:
                    receiver.events.setdefault(event_id, body)
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (killed mid-delivery)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/stopline"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
