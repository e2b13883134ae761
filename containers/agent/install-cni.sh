#!/bin/sh
# CNI installer (initContainer of the spiderpool-agent DaemonSet): puts the plugin executable
# for this node's architecture into the host's CNI directory. The copy is written beside the
# target and renamed over it, so a runtime executing the plugin at that moment never sees a
# partial file (and a running old binary is not overwritten in place: no "text file busy").
set -eu

SRC_DIR="${SPIDERPOOL_CNI_SRC_DIR:-/opt/spiderpool/cni}"
DEST_DIR="${CNI_BIN_DIR:-/host/opt/cni/bin}"
MACHINE="${SPIDERPOOL_MACHINE:-$(uname -m)}"

case "$MACHINE" in
  x86_64 | amd64) TARGET=linux-amd64 ;;
  aarch64 | arm64) TARGET=linux-arm64 ;;
  *)
    echo "install-cni: unsupported machine \"$MACHINE\"; the plugin is built for linux-amd64 (x86_64) and linux-arm64 (aarch64)" >&2
    exit 1
    ;;
esac

SRC="$SRC_DIR/$TARGET/spiderpool"
if [ ! -f "$SRC" ]; then
  echo "install-cni: $SRC is missing from the image; rebuild it with npm run build (containers/agent/Containerfile)" >&2
  exit 1
fi
if [ ! -d "$DEST_DIR" ]; then
  echo "install-cni: CNI directory $DEST_DIR is not mounted" >&2
  exit 1
fi

TMP="$DEST_DIR/.spiderpool.tmp.$$"
trap 'rm -f "$TMP"' EXIT
cp "$SRC" "$TMP"
chmod 0755 "$TMP"
mv -f "$TMP" "$DEST_DIR/spiderpool"
trap - EXIT
echo "install-cni: installed $TARGET plugin as $DEST_DIR/spiderpool ($(wc -c < "$DEST_DIR/spiderpool") bytes)"
