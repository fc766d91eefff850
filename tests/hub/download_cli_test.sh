#!/usr/bin/env bash
# clipscope-cli download / models / hf-hub: against the loopback fake hub, as a
# user would run them: JSON output, the cache layout Python reads, exit codes.
set -euo pipefail
cli="$1"
hub_py="$(dirname "$0")/fake_hub.py"
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
command -v python3 > /dev/null || { echo "SKIP: python3 missing"; exit 0; }

# A repo on the fake hub: a random tiny open_clip model written by the CLI itself.
"$cli" -q make-random-model --arch tiny --format open_clip --out "$work/server/repos/acme/tiny-clip" > /dev/null
echo '{}' > "$work/server/control.json"
python3 "$hub_py" "$work/server" > "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(awk '{print $2}' "$work/port")
export HF_ENDPOINT="http://localhost:$port" HF_HUB_CACHE="$work/cache"
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE || true

"$cli" download acme/tiny-clip --json > "$work/dl.json" 2> "$work/dl.log" || { cat "$work/dl.log"; exit 1; }
grep -q '"status": "downloaded"' "$work/dl.json"
grep -q '"checksum": "sha256"' "$work/dl.json"
commit=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$work/dl.json")
[ "$(cat "$work/cache/models--acme--tiny-clip/refs/main")" = "$commit" ]
# The piped progress falls back to plain lines (no carriage returns).
if grep -q $'\r' "$work/dl.log"; then echo "progress drew a bar into a pipe"; exit 1; fi

"$cli" models --json > "$work/models.json"
python3 - "$work/models.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
repo = [r for r in j["repos"] if r["repo_id"] == "acme/tiny-clip"][0]
rev = repo["revisions"][0]
assert rev["loadable"] and rev["format"] == "open_clip-safetensors", rev
assert rev["refs"] == ["main"], rev
PY
"$cli" models | grep -q -- "--model hf-hub:acme/tiny-clip@main"
"$cli" info --model hf-hub:acme/tiny-clip > "$work/info.json"
grep -q '"format": "open_clip-safetensors"' "$work/info.json"

# Second run: nothing transferred.
"$cli" -q download acme/tiny-clip --json | grep -q '"bytes_transferred": 0'
# Offline: from the cache, no request (the endpoint is dead).
HF_HUB_OFFLINE=1 HF_ENDPOINT=http://127.0.0.1:1 "$cli" -q download acme/tiny-clip --json | grep -q '"offline": true'
# Exit codes: 6 for a hub refusal, 2 for a malformed repo id.
set +e
"$cli" -q download acme/absent 2> "$work/err.log"; code=$?
set -e
[ "$code" -eq 6 ] || { echo "expected exit 6, got $code"; cat "$work/err.log"; exit 1; }
grep -q "404" "$work/err.log"
set +e
"$cli" -q download "not a repo" 2> /dev/null; code=$?
set -e
[ "$code" -eq 2 ] || { echo "expected exit 2, got $code"; exit 1; }
echo "download cli: ok"
