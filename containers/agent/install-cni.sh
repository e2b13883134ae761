#!/bin/sh
# CNI installer (initContainer of the spiderpool-agent DaemonSet): puts the plugin for this
# node's architecture into the host's CNI directory: `spiderpool`, the exec shim the runtime
# runs, `spiderpool-node`, the Node executable it falls back to (docs/adr/0006-exec-shim.md), and
# `coordinator`, the chained plugin that probes for address conflicts and the gateway.
# Each copy is written beside its target and renamed over it, so a runtime executing the plugin
# at that moment never sees a partial file (and a running old binary is not overwritten in
# place: no "text file busy"). The fallback goes first: the shim never runs without it.
set -eu

SRC_DIR="${SPIDERPOOL_CNI_SRC_DIR:-/opt/spiderpool/cni}"
DEST_DIR="${CNI_BIN_DIR:-/host/opt/cni/bin}"
MACHINE="${SPIDERPOOL_MACHINE:-$(uname -m)}"
LOG_DIR="${SPIDERPOOL_PLUGIN_LOG_DIR:-/var/log/spidernet}"
RUN_DIR="${SPIDERPOOL_PLUGIN_RUN_DIR:-/var/run/spidernet}"

# Absolute, and nothing that would need escaping in JSON.
for VAR in SPIDERPOOL_PLUGIN_LOG_DIR:"$LOG_DIR" SPIDERPOOL_PLUGIN_RUN_DIR:"$RUN_DIR"; do
  NAME="${VAR%%:*}"
  VALUE="${VAR#*:}"
  case "$VALUE" in
    /*) ;;
    *)
      echo "install-cni: $NAME must be an absolute path, got \"$VALUE\"" >&2
      exit 1
      ;;
  esac
  if printf '%s' "$VALUE" | LC_ALL=C grep -q '["\\[:cntrl:]]'; then
    echo "install-cni: $NAME must not contain quotes, backslashes or control characters, got \"$VALUE\"" >&2
    exit 1
  fi
done

case "$MACHINE" in
  x86_64 | amd64) TARGET=linux-amd64 ;;
  aarch64 | arm64) TARGET=linux-arm64 ;;
  *)
    echo "install-cni: unsupported machine \"$MACHINE\"; the plugin is built for linux-amd64 (x86_64) and linux-arm64 (aarch64)" >&2
    exit 1
    ;;
esac

for FILE in spiderpool-node spiderpool coordinator; do
  if [ ! -f "$SRC_DIR/$TARGET/$FILE" ]; then
    echo "install-cni: $SRC_DIR/$TARGET/$FILE is missing from the image; rebuild it with npm run build (containers/agent/Containerfile)" >&2
    exit 1
  fi
done
if [ ! -d "$DEST_DIR" ]; then
  echo "install-cni: CNI directory $DEST_DIR is not mounted" >&2
  exit 1
fi

TMP=""
trap 'rm -f "$TMP"' EXIT
TMP="$DEST_DIR/.spiderpool-host.json.tmp.$$"
printf '{"logDir":"%s","runDir":"%s"}\n' "$LOG_DIR" "$RUN_DIR" > "$TMP"
chmod 0644 "$TMP"
mv -f "$TMP" "$DEST_DIR/spiderpool-host.json"
echo "install-cni: wrote $DEST_DIR/spiderpool-host.json (plugin logs below $LOG_DIR, agent socket below $RUN_DIR)"
for FILE in spiderpool-node spiderpool coordinator; do
  TMP="$DEST_DIR/.$FILE.tmp.$$"
  cp "$SRC_DIR/$TARGET/$FILE" "$TMP"
  chmod 0755 "$TMP"
  mv -f "$TMP" "$DEST_DIR/$FILE"
  echo "install-cni: installed $TARGET plugin as $DEST_DIR/$FILE ($(wc -c < "$DEST_DIR/$FILE") bytes)"
done
TMP=""
trap - EXIT
