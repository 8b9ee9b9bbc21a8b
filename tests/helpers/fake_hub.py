"""A Hugging Face hub on loopback that serves model repos from local folders.

It speaks the part of the hub's file API that ``huggingface_hub.snapshot_download`` uses:
``GET /api/models/<repo>/revision/<rev>`` (commit and file list), ``GET
/api/models/<repo>/tree/<rev>`` (the files) and ``HEAD`` / ``GET
/<repo>/resolve/<rev>/<file>`` (``X-Repo-Commit``, ``ETag``, ``Content-Length``). Point
``HF_ENDPOINT`` at :attr:`FakeHub.url`. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote


class FakeHub:
    """``repos``: repo id -> (commit sha, folder whose files the repo holds)."""

    def __init__(self, repos: dict[str, tuple[str, Path]]) -> None:
        self.repos = repos
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _file(self) -> tuple[str, Path] | None:
                path = unquote(self.path.split("?")[0]).lstrip("/")
                for repo, (commit, folder) in hub.repos.items():
                    prefix = f"{repo}/resolve/"
                    if path.startswith(prefix):
                        rev, _, name = path[len(prefix) :].partition("/")
                        if rev in {commit, "main"} and (folder / name).is_file():
                            return commit, folder / name
                return None

            def _send_file(self, body: bool) -> None:
                hub.requests.append(f"{self.command} {self.path}")
                found = self._file()
                if found is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.end_headers()
                    return
                commit, file = found
                data = file.read_bytes()
                self.send_response(200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest() + '"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_HEAD(self) -> None:
                self._send_file(body=False)

            def do_GET(self) -> None:
                path = unquote(self.path.split("?")[0])
                if not path.startswith("/api/models/"):
                    self._send_file(body=True)
                    return
                hub.requests.append(f"GET {self.path}")
                rest = path[len("/api/models/") :]
                tree = "/tree/" in rest
                repo, _, rev = rest.partition("/tree/" if tree else "/revision/")
                entry = hub.repos.get(repo)
                if entry is None or rev not in {entry[0], "main"}:
                    self.send_response(404)
                    self.send_header(
                        "X-Error-Code", "RepoNotFound" if entry is None else "RevisionNotFound"
                    )
                    self.end_headers()
                    return
                commit, folder = entry
                files = sorted(
                    p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                )
                listing: Any = (
                    [
                        {"type": "file", "path": f, "size": (folder / f).stat().st_size, "oid": f}
                        for f in files
                    ]
                    if tree
                    else {"id": repo, "sha": commit, "siblings": [{"rfilename": f} for f in files]}
                )
                body = json.dumps(listing).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
