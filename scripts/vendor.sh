#!/usr/bin/env bash
# Vendor the site's third-party browser libraries from the npm registry, with their licences.
#
# Why a script: the files under src/backbrain/site/static/vendor/ are committed (the site must work
# offline and on any static host), and this script is how they got there, so an upgrade is a version
# bump here and a re-run, never a hand-copied file. Needs `npm` (only for `npm pack`; no install).
set -euo pipefail

DEST="$(cd "$(dirname "$0")/.." && pwd)/src/backbrain/site/static/vendor"
# package@version  file-inside-the-package  name-in-vendor/
PACKAGES=(
  "mermaid@12.3.0 dist/mermaid.min.js mermaid.min.js"
  "force-graph@1.52.0 dist/force-graph.min.js force-graph.min.js"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$DEST"
: > "$work/VERSIONS"
for entry in "${PACKAGES[@]}"; do
  read -r spec file target <<<"$entry"
  name="${spec%@*}"
  (cd "$work" && npm pack --silent "$spec" >/dev/null 2>"$work/npm.log") || { cat "$work/npm.log" >&2; exit 1; }
  tarball="$(ls "$work"/"${name//\//-}"-*.tgz | head -n1)"
  mkdir -p "$work/$name"
  tar -xzf "$tarball" -C "$work/$name"
  cp "$work/$name/package/$file" "$DEST/$target"
  licence="$(ls "$work/$name/package" | grep -iE '^licen[cs]e' | head -n1)"
  cp "$work/$name/package/$licence" "$DEST/${name}.LICENSE"
  sha="$(sha256sum "$DEST/$target" | cut -d' ' -f1)"
  echo "$spec $file sha256=$sha" >> "$work/VERSIONS"
  rm -f "$tarball"
done
cp "$work/VERSIONS" "$DEST/VERSIONS"
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
