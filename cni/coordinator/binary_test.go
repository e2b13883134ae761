package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The built executable as the runtime runs it, installed with spiderpool-host.json beside it
// (like install-cni.sh does) pointing at a fake agent on a unix socket.

var (
	buildOnce sync.Once
	buildDir  string
	built     string
	buildErr  error
)

// TestMain removes the executable the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// install builds the executable once per test run and copies it into a fresh CNI directory
// whose run directory is dir; it returns the executable's path.
func install(t testing.TB, dir string) string {
	t.Helper()
	buildOnce.Do(func() {
		var err error
		if buildDir, err = os.MkdirTemp("", "coordinator-build-"); err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(buildDir, "coordinator")
		cmd := exec.Command("go", "build", "-trimpath", "-o", built, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if text, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			built = string(text)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v: %s", buildErr, built)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(bin, "coordinator")
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	host, _ := json.Marshal(map[string]string{"logDir": dir, "runDir": dir})
	if err := os.WriteFile(filepath.Join(bin, hostConfigFile), host, 0o644); err != nil {
		t.Fatal(err)
	}
	return exe
}

// fakeAgent serves the two coordinator routes on dir/spiderpool.sock with canned answers and
// records what it was sent.
type fakeAgent struct {
	mu       sync.Mutex
	requests map[string][]map[string]any
	plan     func() (int, any)
	report   func() (int, any)
}

func startFakeAgent(t testing.TB, dir string) *fakeAgent {
	t.Helper()
	agent := &fakeAgent{requests: map[string][]map[string]any{}}
	listener, err := net.Listen("unix", filepath.Join(dir, socketName))
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var decoded map[string]any
		_ = json.Unmarshal(body, &decoded)
		agent.mu.Lock()
		agent.requests[r.URL.Path] = append(agent.requests[r.URL.Path], decoded)
		agent.mu.Unlock()
		answer := map[string]func() (int, any){planPath: agent.plan, reportPath: agent.report}[r.URL.Path]
		if r.Method != http.MethodPost || answer == nil {
			http.NotFound(w, r)
			return
		}
		status, reply := answer()
		if e, ok := reply.(agentFailure); ok {
			// As lib/agent/routes.ts failed answers: the message as a JSON string, the code in a header.
			w.Header().Set(errorCodeHeader, e.code)
			reply = e.message
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if text, ok := reply.(rawBody); ok {
			io.WriteString(w, string(text))
			return
		}
		_ = json.NewEncoder(w).Encode(reply)
	}))
	server.Listener = listener
	server.Start()
	t.Cleanup(server.Close)
	return agent
}

// rawBody is sent as it is, not as JSON.
type rawBody string

// agentFailure is an error answer in the agent's own form.
type agentFailure struct{ code, message string }

func (a *fakeAgent) seen(path string) []map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]any(nil), a.requests[path]...)
}

type runResult struct {
	code   int
	stdout string
	stderr string
}

func runPlugin(t testing.TB, exe, command, netns, stdin string) runResult {
	t.Helper()
	cmd := exec.Command(exe)
	cmd.Env = []string{
		"CNI_COMMAND=" + command, "CNI_CONTAINERID=c0ffee", "CNI_NETNS=" + netns, "CNI_IFNAME=" + podIf,
		"CNI_PATH=/opt/cni/bin", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p1;K8S_POD_UID=u1",
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code, stdout.String(), stderr.String()}
}

const prevResult = `{"cniVersion":"1.0.0","interfaces":[{"name":"net1","sandbox":"/x"}],"ips":[{"address":"10.251.0.5/24","gateway":"10.251.0.1","interface":0},{"address":"fd00:251::5/64","interface":0}],"dns":{}}`

func netconfWith(prev string) string {
	conf := `{"cniVersion":"1.0.0","name":"macvlan-conflict","type":"coordinator","detectIPConflict":true,"detectGateway":true`
	if prev != "" {
		conf += `,"prevResult":` + prev
	}
	return conf + "}"
}

func plannedConflict(ips ...string) func() (int, any) {
	return func() (int, any) {
		probes := []map[string]any{}
		for _, ip := range ips {
			family := 4
			if strings.Contains(ip, ":") {
				family = 6
			}
			probes = append(probes, map[string]any{"kind": "conflict", "ip": ip, "family": family})
		}
		return 200, map[string]any{"probes": probes, "ifName": podIf, "timeoutMs": 100, "retries": 2, "deadlineMs": 3000}
	}
}

// cniErrorOf decodes stdout as a CNI error object.
func cniErrorOf(t *testing.T, r runResult) cniError {
	t.Helper()
	var e cniError
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || r.code != 1 {
		t.Fatalf("expected a CNI error and exit 1, got exit %d: %q (%v) stderr %q", r.code, r.stdout, err, r.stderr)
	}
	return e
}

func TestAddWithoutFindingsPrintsPrevResult(t *testing.T) {
	tb := newTestbed(t)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("fd00:251::5/64")
	dir := t.TempDir()
	exe := install(t, dir)
	agent := startFakeAgent(t, dir)
	agent.plan = plannedConflict("10.251.0.5", "fd00:251::5")
	agent.report = func() (int, any) { t.Error("report called without findings"); return 500, rawBody("") }

	stdin := netconfWith(prevResult)
	r := runPlugin(t, exe, "ADD", tb.podNetns, stdin)
	if r.code != 0 || r.stdout != prevResult+"\n" {
		t.Fatalf("got exit %d %q %q, want prevResult unchanged", r.code, r.stdout, r.stderr)
	}
	plans := agent.seen(planPath)
	if len(plans) != 1 {
		t.Fatalf("%d plan calls", len(plans))
	}
	sent, _ := json.Marshal(plans[0]["netconf"])
	var want any
	_ = json.Unmarshal([]byte(stdin), &want)
	wantJSON, _ := json.Marshal(want)
	if string(sent) != string(wantJSON) {
		t.Errorf("netconf sent to the agent:\n%s\nwant\n%s", sent, wantJSON)
	}
	for key, value := range map[string]string{"containerID": "c0ffee", "netns": tb.podNetns, "ifName": podIf, "podNamespace": "ns1", "podName": "p1", "podUID": "u1"} {
		if plans[0][key] != value {
			t.Errorf("plan request %s = %v, want %q", key, plans[0][key], value)
		}
	}
}

func TestAddWithFindingsReports(t *testing.T) {
	tb := newTestbed(t)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("fd00:251::5/64")
	tb.peerAddr("fd00:251::5/64")
	dir := t.TempDir()
	exe := install(t, dir)
	agent := startFakeAgent(t, dir)
	agent.plan = plannedConflict("10.251.0.5", "fd00:251::5")
	agentMsg := `IP conflict: fd00:251::5 of pod ns1/p1 is answered by ` + peerMAC + ` <quarantined>`
	agent.report = func() (int, any) {
		return 200, map[string]any{"cniError": map[string]any{"code": 100, "msg": agentMsg, "details": "fd00:251::5"}}
	}

	r := runPlugin(t, exe, "ADD", tb.podNetns, netconfWith(prevResult))
	if e := cniErrorOf(t, r); e != (cniError{CniVersion: "1.0.0", Code: 100, Msg: agentMsg, Details: "fd00:251::5"}) {
		t.Fatalf("printed %+v, want the agent's error as it sent it", e)
	}
	reports := agent.seen(reportPath)
	if len(reports) != 1 {
		t.Fatalf("%d report calls", len(reports))
	}
	findings, _ := json.Marshal(reports[0]["findings"])
	if want := `[{"ip":"fd00:251::5","kind":"conflict","mac":"` + peerMAC + `"}]`; string(findings) != want {
		t.Errorf("findings %s, want %s", findings, want)
	}
	if reports[0]["podUID"] != "u1" || reports[0]["ifName"] != podIf || reports[0]["netns"] != tb.podNetns {
		t.Errorf("report identity: %v", reports[0])
	}

	// The agent may let it pass (a StatefulSet's address is kept): then prevResult goes out.
	agent.report = func() (int, any) { return 200, map[string]any{} }
	r = runPlugin(t, exe, "ADD", tb.podNetns, netconfWith(prevResult))
	if r.code != 0 || r.stdout != prevResult+"\n" {
		t.Fatalf("agent let it pass: got exit %d %q", r.code, r.stdout)
	}
}

func TestAddRefusals(t *testing.T) {
	// None of these reaches a probe, so no namespace (and no root) is needed.
	dir := t.TempDir()
	exe := install(t, dir)

	// No agent on the socket: try again later, naming the socket.
	r := runPlugin(t, exe, "ADD", "/run/netns/none", netconfWith(prevResult))
	socket := filepath.Join(dir, socketName)
	if e := cniErrorOf(t, r); e.Code != codeTryAgainLater || !strings.Contains(e.Msg, socket) {
		t.Errorf("agent absent: %+v, want code 11 naming %s", e, socket)
	}

	agent := startFakeAgent(t, dir)
	agent.plan = plannedConflict("10.251.0.5")
	for _, c := range []struct{ name, stdin, details, says string }{
		{"no prevResult", netconfWith(""), "prevResult", "prevResult: expected the main plugin's result object"},
		{"prevResult not an object", netconfWith(`"10.0.0.1"`), "prevResult", `got "10.0.0.1"`},
		{"prevResult of an unknown version", netconfWith(`{"cniVersion":"9.9.9","ips":[]}`), "prevResult.cniVersion", `got "9.9.9"`},
		{"prevResult ips that cannot be converted", strings.Replace(netconfWith(`{"cniVersion":"1.0.0","ips":[{"address":"nonsense"}]}`), `"cniVersion":"1.0.0","name"`, `"cniVersion":"0.4.0","name"`, 1), "prevResult.ips[0].address", `got "nonsense"`},
		{"not JSON", "{", "stdin", "not a JSON object"},
		{"an unsupported cniVersion", strings.Replace(netconfWith(prevResult), `"1.0.0","name"`, `"2.0.0","name"`, 1), "cniVersion", `got "2.0.0"`},
	} {
		r := runPlugin(t, exe, "ADD", "/run/netns/none", c.stdin)
		e := cniErrorOf(t, r)
		if e.Details != c.details || !strings.Contains(e.Msg, c.says) || e.Code == 0 {
			t.Errorf("%s: %+v, want details %q and a message with %q", c.name, e, c.details, c.says)
		}
	}
	if n := len(agent.seen(planPath)); n != 0 {
		t.Errorf("the agent was asked %d times about netconfs the prober cannot print", n)
	}

	for _, c := range []struct {
		name string
		plan func() (int, any)
		code int
		says string
	}{
		{"the agent's own decision", func() (int, any) {
			return 200, map[string]any{"cniError": map[string]any{"code": 7, "msg": "detectIPConflict: expected a boolean, got 3"}}
		}, 7, "detectIPConflict: expected a boolean, got 3"},
		{"a 5xx", func() (int, any) { return 503, map[string]any{"code": "not_ready", "message": "agent not ready"} }, 11, "agent not ready"},
		{"a 4xx", func() (int, any) {
			return 403, map[string]any{"code": "forbidden", "message": "pod ns1/p1 is not on this node"}
		}, 7, "pod ns1/p1 is not on this node"},
		{"a 403 as the agent writes it", func() (int, any) { return 403, agentFailure{"forbidden", "10.251.0.5 is not claimed by pod ns1/p1"} }, 7, "10.251.0.5 is not claimed by pod ns1/p1"},
		{"a 500 as the agent writes it", func() (int, any) { return 500, agentFailure{"internal", "informer not synced"} }, 11, "informer not synced"},
		{"garbage", func() (int, any) { return 200, rawBody("<html>") }, 11, socket},
		{"an unknown field", func() (int, any) { return 200, map[string]any{"probes": []any{}, "verdict": "ok"} }, 11, socket},
		{"an unusable plan", func() (int, any) {
			return 200, map[string]any{"probes": []any{map[string]any{"kind": "conflict", "ip": "10.0.0.1", "family": 6}}, "timeoutMs": 100, "retries": 1, "deadlineMs": 1000}
		}, 11, `probes[0]: ip: expected an IPv6 address, got "10.0.0.1"`},
		{"probes in a namespace that does not exist", plannedConflict("10.251.0.5"), 100, "/run/netns/none"},
	} {
		agent.plan = c.plan
		e := cniErrorOf(t, runPlugin(t, exe, "ADD", "/run/netns/none", netconfWith(prevResult)))
		if e.Code != c.code || !strings.Contains(e.Msg, c.says) || e.CniVersion != "1.0.0" {
			t.Errorf("%s: %+v, want code %d with %q", c.name, e, c.code, c.says)
		}
	}

	// Nothing planned: prevResult, without entering any namespace.
	agent.plan = func() (int, any) { return 200, map[string]any{"probes": []any{}} }
	if r := runPlugin(t, exe, "ADD", "/run/netns/none", netconfWith(prevResult)); r.code != 0 || r.stdout != prevResult+"\n" {
		t.Errorf("nothing planned: exit %d %q", r.code, r.stdout)
	}
}

func TestOtherCommands(t *testing.T) {
	dir := t.TempDir()
	exe := install(t, dir)
	for _, command := range []string{"DEL", "CHECK", "GC", "STATUS"} {
		if r := runPlugin(t, exe, command, "", "not even JSON"); r.code != 0 || r.stdout != "" {
			t.Errorf("%s: exit %d %q", command, r.code, r.stdout)
		}
	}
	r := runPlugin(t, exe, "VERSION", "", "")
	if r.code != 0 || r.stdout != `{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`+"\n" {
		t.Errorf("VERSION: exit %d %q", r.code, r.stdout)
	}
	if e := cniErrorOf(t, runPlugin(t, exe, "FROB", "", "")); e.Code != codeInvalidEnvironment || !strings.Contains(e.Msg, `"FROB"`) {
		t.Errorf("unknown command: %+v", e)
	}
}
