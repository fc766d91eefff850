#!/usr/bin/env bash
# docs/config-fields.md and the README's counts are the option table as the CLI prints
# it: a row added to config_fields.cpp without regenerating the page fails here.
# Usage: config_fields_doc_test.sh CLI PROJECT_ROOT
set -uo pipefail
cli="$1"
root="$2"
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
"$cli" config-fields --markdown > "$fresh" || { echo "FAIL: config-fields --markdown"; exit 1; }
if ! diff -u "$root/docs/config-fields.md" "$fresh"; then
  echo "FAIL: docs/config-fields.md is stale; regenerate: clipscope-cli config-fields --markdown > docs/config-fields.md"
  exit 1
fi
counts=$("$cli" config-fields | tail -n 1)
grep -qF -- "$counts" "$root/README.md" || { echo "FAIL: README.md does not state '$counts'"; exit 1; }
echo "config fields doc: up to date ($counts)"
