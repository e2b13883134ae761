#!/usr/bin/env bash
# Builds the pinned control-plane binaries, CNI plugins and helm from Go modules into a cache keyed by
# every input, so a second run costs nothing. Prints one line per step; details go to the log.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.14}"
CNI_VERSION="${CNI_VERSION:-v1.10.0}"
WHEREABOUTS_VERSION="${WHEREABOUTS_VERSION:-v0.9.2}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"

export GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null 2>&1 || { echo "build-binaries: step 'find go' failed: no Go toolchain on PATH (install Go >= 1.26)" >&2; exit 1; }
GO_VERSION=$(go env GOVERSION)
ARCH="$(go env GOOS)-$(go env GOARCH)"
CACHE="${SPIDERPOOL_CACHE:-$HOME/.cache/pepr-spiderpool}"
# The key names the set of Kubernetes commands built (with the kubelet since real nodes), so a
# cache built before that set changed is never taken for a complete one.
KEY="k8s-${K8S_VERSION}-kubelet_etcd-${ETCD_VERSION}_cni-${CNI_VERSION}_wb-${WHEREABOUTS_VERSION}_${GO_VERSION}_${ARCH}"
BIN="$CACHE/bin/$KEY"

if [ "${1:-}" = "--print-dir" ]; then echo "$BIN"; exit 0; fi

# Helm (the chart's lint and render spec, the helm install suite) has a cache entry of its own, so
# adding or bumping it never rebuilds the control plane; $BIN/helm links to it.
HELM_DIR="$CACHE/bin/helm-${HELM_VERSION}_${GO_VERSION}_${ARCH}"
ensure_helm() {
  if [ ! -x "$HELM_DIR/helm" ]; then
    local log="$CACHE/logs/build-helm-${HELM_VERSION}.log" tmp="$HELM_DIR.tmp-$$"
    mkdir -p "$CACHE/logs"; rm -rf "$tmp"; mkdir -p "$tmp"
    local hs; hs=$(date +%s)
    if ! GOBIN="$tmp" go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
      "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >"$log" 2>&1; then
      rm -rf "$tmp"
      echo "build-binaries: step 'helm: go install' failed; see $log (last lines below)" >&2
      tail -n 5 "$log" | sed 's/^/  /' >&2
      exit 1
    fi
    rm -rf "$HELM_DIR"; mv "$tmp" "$HELM_DIR"
    echo "build-binaries: helm $HELM_VERSION built in $(( $(date +%s) - hs ))s" >&2
  fi
  # Relative, so a cache reached through another path (the bad-input suite links this bin/ into a
  # throw-away cache) never leaves a link into a directory that is later removed.
  ln -sfn "../$(basename "$HELM_DIR")/helm" "$1/helm"
}

if [ -f "$BIN/.complete" ]; then ensure_helm "$BIN"; echo "$BIN"; exit 0; fi

mkdir -p "$CACHE/logs"
LOG="$CACHE/logs/build-$KEY.log"
: >"$LOG"
TMP="$CACHE/bin/.tmp-$KEY-$$"
rm -rf "$TMP"; mkdir -p "$TMP/cni"
trap 'rm -rf "$TMP"' EXIT
start=$(date +%s)

step() { # name, then the command; one line on failure naming the step and the log
  local name="$1"; shift
  echo "== $name" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    echo "build-binaries: step '$name' failed; see $LOG (last lines below)" >&2
    tail -n 5 "$LOG" | sed 's/^/  /' >&2
    exit 1
  fi
}

wrapper() { # dir, module, go.mod body
  mkdir -p "$1"; printf '%s\n' "$3" >"$1/go.mod"; : >"$1/go.sum"
}

# etcd: its own module so its client libraries do not change kube-apiserver's.
ETCD_DIR="$CACHE/build/etcd-$ETCD_VERSION"
wrapper "$ETCD_DIR" etcd "module e2e.invalid/etcdbin

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

tool go.etcd.io/etcd/server/v3"
step "etcd: go mod tidy" bash -c "cd '$ETCD_DIR' && go mod tidy"
step "etcd: go build" bash -c "cd '$ETCD_DIR' && go build -trimpath -ldflags '-s -w' -o '$TMP/etcd' go.etcd.io/etcd/server/v3"

# Kubernetes: the root module requires its staging modules at v0.0.0, so replace each with the
# published v0.<minor>.<patch>, derived from the go.mod of the pinned release.
K8S_DIR="$CACHE/build/k8s-$K8S_VERSION"
STAGE="v0.${K8S_VERSION#v1.}"
MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
wrapper "$K8S_DIR" k8s "module e2e.invalid/k8sbin

go 1.26.0

require k8s.io/kubernetes $K8S_VERSION"
step "kubernetes: download go.mod" bash -c "cd '$K8S_DIR' && go mod download -json k8s.io/kubernetes@$K8S_VERSION > .dl.json"
MOD=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$K8S_DIR/.dl.json")
for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$MOD"); do
  (cd "$K8S_DIR" && go mod edit -replace="$m=$m@$STAGE")
done
cat >>"$K8S_DIR/go.mod" <<TOOLS
tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
	k8s.io/kubernetes/cmd/kubelet
)
TOOLS
step "kubernetes: go mod tidy" bash -c "cd '$K8S_DIR' && go mod tidy"
LD="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean"
step "kubernetes: go build" bash -c "cd '$K8S_DIR' && go build -trimpath -ldflags '$LD' -o '$TMP/' k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubelet"

# CNI plugins: no replace directives upstream, so go install works directly.
P=github.com/containernetworking/plugins/plugins
step "cni plugins: go install" env GOBIN="$TMP/cni" go install -trimpath -ldflags '-s -w' \
  "$P/main/macvlan@$CNI_VERSION" "$P/main/bridge@$CNI_VERSION" "$P/main/loopback@$CNI_VERSION" \
  "$P/ipam/static@$CNI_VERSION" "$P/ipam/host-local@$CNI_VERSION"

# Whereabouts, the peer the storm benchmark compares against. Its go.mod has a replace directive,
# so `go install pkg@v` refuses it: build from a scratch module that repeats the replace.
WB_DIR="$CACHE/build/whereabouts-$WHEREABOUTS_VERSION"
wrapper "$WB_DIR" whereabouts "module e2e.invalid/wbbin

go 1.26.0

require github.com/k8snetworkplumbingwg/whereabouts $WHEREABOUTS_VERSION

replace github.com/gogo/protobuf => github.com/gogo/protobuf v1.3.2

tool github.com/k8snetworkplumbingwg/whereabouts/cmd"
step "whereabouts: go mod tidy" bash -c "cd '$WB_DIR' && go mod tidy"
step "whereabouts: go build" bash -c "cd '$WB_DIR' && go build -trimpath -ldflags '-s -w' -o '$TMP/cni/whereabouts' github.com/k8snetworkplumbingwg/whereabouts/cmd"
step "whereabouts: CRDs" bash -c "cd '$WB_DIR' && mkdir -p '$TMP/whereabouts-crds' && cp \"\$(go list -m -f '{{.Dir}}' github.com/k8snetworkplumbingwg/whereabouts)\"/doc/crds/whereabouts.cni.cncf.io_*.yaml '$TMP/whereabouts-crds/'"

touch "$TMP/.complete"
rm -rf "$BIN"; mkdir -p "$(dirname "$BIN")"; mv "$TMP" "$BIN"
trap - EXIT
ensure_helm "$BIN"
echo "build-binaries: built in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
