#!/usr/bin/env bash
# Builds the Debian package with CPack, checks its metadata and contents, unpacks
# it into a temporary root and runs both programs from there.
set -euo pipefail
build="$1"
command -v dpkg-deb > /dev/null && command -v dpkg-shlibdeps > /dev/null || { echo "SKIP: dpkg-dev missing"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" > "$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/clipscope_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libtorch libqt6widgets6 libqt6charts6 libopencv-imgcodec libcurl4 libopenblas0-pthread; do
  echo "$depends" | grep -q "$lib" || { echo "Depends lacks $lib"; exit 1; }
done
dpkg-deb -c "$deb" > "$work/contents"
id=io.github.clipscope.ClipScope
for f in ./usr/bin/clipscope ./usr/bin/clipscope-cli ./usr/share/clipscope/demo/model/open_clip_model.safetensors \
         ./usr/share/applications/$id.desktop ./usr/share/metainfo/$id.metainfo.xml \
         ./usr/share/icons/hicolor/scalable/apps/$id.svg ./usr/share/icons/hicolor/48x48/apps/$id.png \
         ./usr/share/icons/hicolor/256x256/apps/$id.png ./usr/share/mime/packages/$id.xml ./usr/share/man/man1/clipscope-cli.1; do
  grep -q " $f\$" "$work/contents" || grep -q " $f " "$work/contents" || { echo "package lacks $f"; exit 1; }
done
root="$work/root"
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/clipscope-cli" info 2> "$work/info.log" | grep -q '"parameter_count": 1938561'
grep -q "$root/usr/share/clipscope/demo/model" "$work/info.log"
"$root/usr/bin/clipscope" --version | grep -q ClipScope
if command -v man > /dev/null; then MANWIDTH=100 man -l "$root/usr/share/man/man1/clipscope-cli.1" 2> /dev/null | grep -q "download"; fi
file "$root/usr/share/icons/hicolor/48x48/apps/$id.png" | grep -q "48 x 48"
echo "deb: ok ($(du -h "$deb" | cut -f1))"
