#!/usr/bin/env bash
# Installs the build into a temporary prefix and runs the installed executables from
# there: both find the demo model in PREFIX/share/clipscope, not in the source tree.
set -euo pipefail
build="$1"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > "$prefix/install.log"
[ -x "$prefix/bin/clipscope" ] && [ -x "$prefix/bin/clipscope-cli" ]
[ -s "$prefix/share/clipscope/demo/model/open_clip_model.safetensors" ]
info=$("$prefix/bin/clipscope-cli" info 2> "$prefix/info.log")
grep -q "$prefix/share/clipscope/demo/model" "$prefix/info.log" || { cat "$prefix/info.log"; exit 1; }
echo "$info" | grep -q '"parameter_count": 1938561'
"$prefix/bin/clipscope" --version | grep -q "ClipScope"
# SigLIP's tokenizer module, where the installed executables look first (PREFIX/lib/clipscope).
module="$prefix/lib/clipscope/libclipscope_sentencepiece.so"
[ -s "$module" ] || { echo "missing lib/clipscope/libclipscope_sentencepiece.so"; exit 1; }
if ldd "$module" | grep -q "not found"; then ldd "$module"; exit 1; fi
QT_QPA_PLATFORM=offscreen XDG_CACHE_HOME="$prefix/cache" XDG_CONFIG_HOME="$prefix/config" \
  "$prefix/bin/clipscope" --export-data "$prefix/data" --quit-after-export 2> "$prefix/app.log"
grep -q "$prefix/share/clipscope/demo/images" "$prefix/data/view.json" || { cat "$prefix/app.log" "$prefix/data/view.json"; exit 1; }
# Desktop integration under one application id, validated where the validators exist.
id=io.github.clipscope.ClipScope
for f in applications/$id.desktop metainfo/$id.metainfo.xml icons/hicolor/scalable/apps/$id.svg mime/packages/$id.xml; do
  [ -s "$prefix/share/$f" ] || { echo "missing share/$f"; exit 1; }
done
if command -v appstreamcli > /dev/null; then appstreamcli validate --no-net "$prefix/share/metainfo/$id.metainfo.xml" > /dev/null; fi
if command -v desktop-file-validate > /dev/null; then desktop-file-validate "$prefix/share/applications/$id.desktop"; fi
echo "install: ok"
