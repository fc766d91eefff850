#!/usr/bin/env python3
"""A stand-in for the Hugging Face hub on loopback, for the downloader's tests.

Serves ROOT/repos/ORG/NAME/<files> with the hub's URL layout and headers
(docs/checkpoints.md section 2): resolve URLs answer HEAD with X-Repo-Commit and
an ETag (git blob SHA-1 for small files; for weights a 302 to a "CDN" on another
host name with X-Linked-Etag = SHA-256 and X-Linked-Size), the CDN honours Range,
and /api/models/ORG/NAME/revision/REV lists the files.

Misbehaviour is switched on by ROOT/control.json, re-read on every request:
  require_token: "t"          resolve and api URLs need "Authorization: Bearer t"
  break_after: {"file": f, "bytes": n, "times": k}  send n bytes of f then drop the connection (k times)
  corrupt: [f, ...]           serve f with one byte changed (its ETag stays the true hash)
  ignore_range: true          the CDN answers 200 with the whole file to Range requests
  no_commit_header: true      leave out X-Repo-Commit (not a hub)
  renamed: {"old/name": "new/name"}   relative 307 from the old repo id
  tags: {"v1": commit}        extra revisions
  chunk_delay: seconds        pause between 1 kB chunks of CDN bodies
  no_linked_size: true        leave out X-Linked-Size on redirects (the size is then unknown)
  wrong_range: true           answer Range requests with 206 but from byte 0
ROOT/log.json lists every request seen (method, path, Range and Authorization headers).
Prints "PORT <n>" on stdout once listening on 127.0.0.1.
"""
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
LOG = []
BREAKS_DONE = {}
LOCK = threading.Lock()
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def control():
    try:
        with open(os.path.join(ROOT, "control.json")) as f:
            return json.load(f) or {}
    except (OSError, ValueError):
        return {}


def commit_of(repo):
    return hashlib.sha1(("commit:" + repo).encode()).hexdigest()


def repo_dir(repo):
    return os.path.join(ROOT, "repos", repo)


def file_bytes(repo, name):
    path = os.path.join(repo_dir(repo), name)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with LOCK:
            LOG.append({"method": self.command, "path": self.path, "host": self.headers.get("Host", ""),
                        "range": self.headers.get("Range"), "authorization": self.headers.get("Authorization")})
            with open(os.path.join(ROOT, "log.json.tmp"), "w") as f:
                json.dump(LOG, f)
            os.replace(os.path.join(ROOT, "log.json.tmp"), os.path.join(ROOT, "log.json"))

    def reply(self, status, headers=None, body=b""):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def authorised(self, ctl):
        token = ctl.get("require_token")
        return not token or self.headers.get("Authorization") == "Bearer " + token

    def do_HEAD(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def handle_any(self):
        self.record()
        ctl = control()
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        if parts[:1] == ["cdn"]:
            return self.cdn(ctl, urllib.parse.parse_qs(url.query))
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision":
            return self.listing(ctl, parts[2] + "/" + parts[3], parts[5])
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve(ctl, parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]))
        self.reply(404)

    def revision_ok(self, ctl, repo, rev):
        return rev in ("main", commit_of(repo)) or ctl.get("tags", {}).get(rev) == commit_of(repo)

    def listing(self, ctl, repo, rev):
        if not self.authorised(ctl):
            return self.reply(401)
        if not os.path.isdir(repo_dir(repo)) or not self.revision_ok(ctl, repo, rev):
            return self.reply(404)
        siblings = []
        names = []
        for folder, _, files in os.walk(repo_dir(repo)):
            for f in files:
                names.append(os.path.relpath(os.path.join(folder, f), repo_dir(repo)).replace(os.sep, "/"))
        for name in sorted(names):
            data = file_bytes(repo, name)
            entry = {"rfilename": name, "size": len(data), "blobId": git_sha1(data)}
            if name.endswith(LFS_SUFFIXES):
                entry["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            siblings.append(entry)
        body = json.dumps({"id": repo, "sha": commit_of(repo), "siblings": siblings}).encode()
        self.reply(200, {"Content-Type": "application/json"}, body)

    def resolve(self, ctl, repo, rev, name):
        if repo in ctl.get("renamed", {}):
            new = ctl["renamed"][repo]
            return self.reply(307, {"Location": "/%s/resolve/%s/%s" % (new, urllib.parse.quote(rev, safe=""), name)})
        if not self.authorised(ctl):
            return self.reply(401)
        if not os.path.isdir(repo_dir(repo)) or not self.revision_ok(ctl, repo, rev):
            return self.reply(404)
        commit = {} if ctl.get("no_commit_header") else {"X-Repo-Commit": commit_of(repo)}
        data = file_bytes(repo, name)
        if data is None:
            return self.reply(404, commit)
        if name.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            port = self.server.server_address[1]
            cdn = "http://127.0.0.1:%d/cdn/%s?repo=%s&file=%s&sig=signed" % (
                port, sha, urllib.parse.quote(repo, safe=""), urllib.parse.quote(name, safe=""))
            headers = dict(commit, **{"Location": cdn, "X-Linked-Etag": '"%s"' % sha, "ETag": 'W/"%s"' % git_sha1(data)})
            if not ctl.get("no_linked_size"):
                headers["X-Linked-Size"] = str(len(data))
            return self.reply(302, headers)
        headers = dict(commit, **{"ETag": '"%s"' % git_sha1(data)})
        self.reply(200, headers, data)

    def cdn(self, ctl, query):
        if self.headers.get("Authorization"):
            return self.reply(400, {}, b"the signed CDN URL must not carry the hub token")
        repo, name = query["repo"][0], query["file"][0]
        data = file_bytes(repo, name)
        if data is None:
            return self.reply(404)
        if name in ctl.get("corrupt", []):
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        rng = self.headers.get("Range")
        if rng and not ctl.get("ignore_range"):
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                return self.reply(416, {"Content-Range": "bytes */%d" % len(data)})
        sent_from = 0 if ctl.get("wrong_range") else start
        body = data[sent_from:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (sent_from, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.command == "HEAD":
            return
        brk = ctl.get("break_after")
        limit = None
        if brk and brk.get("file") == name:
            with LOCK:
                done = BREAKS_DONE.get(name, 0)
                if done < brk.get("times", 1):
                    BREAKS_DONE[name] = done + 1
                    limit = brk["bytes"]
        delay = ctl.get("chunk_delay", 0)
        sent = 0
        while sent < len(body):
            chunk = body[sent:sent + 1024]
            if limit is not None and sent + len(chunk) > limit:
                chunk = chunk[:limit - sent]
            self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
            if limit is not None and sent >= limit:
                self.close_connection = True
                self.connection.shutdown(2)  # the connection breaks mid-file
                return
            if delay:
                time.sleep(delay)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
