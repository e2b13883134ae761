// Command spiderpool is the CNI IPAM plugin executable the runtime runs for every ADD and DEL.
//
// It holds no plugin logic. It forwards the call (the CNI_* environment and stdin) to the node's
// agent, which runs the TypeScript plugin (lib/cni-plugin/plugin.ts) in-process and sends back what the
// plugin would have printed and its exit code (POST /v1/cni/exec, docs/adr/0006-exec-shim.md).
// Starting Go costs ~2 ms of CPU where starting Node costs ~30, on every CNI call.
//
// Whenever the agent cannot run the call (no socket, connection refused or reset, an agent
// without the route, a netconf this shim cannot even read), the shim hands the same input to the
// Node executable installed beside it (spiderpool-node), which produces the answer the plugin
// has always given in that case: CNI error 11 for an absent agent, success for DEL, the field
// error for a bad netconf. So every error text has one source, the TypeScript plugin.
//
// The shim itself answers only when the agent accepted the call and then did not answer within
// the call's deadline, and when the netconf's ipam.timeout_seconds is out of bounds: the shim needs
// that value for its own deadline, so it checks it with the plugin's bounds and text
// (timeoutProblem; lib/cni-plugin/netconf.ts has the same, testdata/timeout-seconds.json is their shared table).
//
// It connects only to a socket below the node's run directory, which it reads, like the Node
// executable, from hostConfigFile beside itself (docs/adr/0007-node-plugin-dirs.md); a netconf
// naming any other socket goes to the Node executable, which refuses it naming the field.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	execPath = "/v1/cni/exec"
	// The node-level file beside this executable; lib/cni-plugin/host-dirs.ts HOST_CONFIG_FILE.
	hostConfigFile = "spiderpool-host.json"
	defaultRunDir  = "/var/run/spidernet"
	socketName     = "spiderpool.sock"
	// Bounds of ipam.timeout_seconds in whole seconds: lib/schemas/cni-netconf.ts TIMEOUT_SECONDS_BOUNDS.
	minTimeoutSeconds = 1
	maxTimeoutSeconds = 600
	// lib/cni-plugin/netconf.ts LOAD: the prefix of every netconf field error.
	loadPrefix = "failed to load CNI network configuration:"
	// CNI error code 7, "invalid network config" (lib/cni-plugin/cni-error.ts invalid_network_config).
	codeInvalidNetworkConfig = 7
	maxStdin                 = 1 << 20
	maxAnswer                = 8 << 20
	// The agent's own deadline (counted from startedAtMs) normally answers first, with its
	// better message; the shim waits this much longer before giving up itself.
	grace = 2 * time.Second
	// CNI_* variables the plugin reads, passed to the agent.
	envPrefix = "CNI_"
)

// Per-command deadlines when ipam.timeout_seconds is unset; lib/cni-plugin/plugin.ts DEFAULT_TIMEOUT_SECONDS.
var defaultTimeout = map[string]time.Duration{
	"ADD": 60 * time.Second, "DEL": 30 * time.Second, "CHECK": 30 * time.Second,
	"GC": 60 * time.Second, "STATUS": 10 * time.Second,
}

// CNI versions the plugin supports; lib/schemas/cni-netconf.ts SUPPORTED_CNI_VERSIONS.
var supportedVersions = []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

type netConf struct {
	// Raw: a cniVersion that is not a string is the plugin's to report, not a reason to fail here.
	CniVersion json.RawMessage `json:"cniVersion"`
	IPAM       struct {
		Socket  string          `json:"ipam_unix_socket_path"`
		Timeout json.RawMessage `json:"timeout_seconds"`
	} `json:"ipam"`
}

type hostDirs struct {
	LogDir string `json:"logDir"`
	RunDir string `json:"runDir"`
}

// A CNI error object with the plugin's key order (lib/cni-plugin/cni-error.ts formatCniError).
type cniError struct {
	CniVersion string `json:"cniVersion"`
	Code       int    `json:"code"`
	Msg        string `json:"msg"`
	Details    string `json:"details,omitempty"`
}

type execRequest struct {
	Env         map[string]string `json:"env"`
	Stdin       string            `json:"stdin"`
	StartedAtMs int64             `json:"startedAtMs"`
}

type execAnswer struct {
	ExitCode *int   `json:"exitCode"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

func main() {
	started := time.Now()
	command := os.Getenv("CNI_COMMAND")
	base, known := defaultTimeout[command]
	if !known {
		// VERSION, the about text and unknown commands: rare, and the Node plugin owns the texts.
		fallback(nil, true)
	}
	stdin, ok := readStdin(started.Add(base))
	if !ok {
		fallback(stdin, false)
	}
	var conf netConf
	if json.Unmarshal(stdin, &conf) != nil {
		fallback(stdin, false)
	}
	deadline := started.Add(base)
	seconds, problem := timeoutOf(conf.IPAM.Timeout)
	if problem != "" {
		refuseTimeout(conf.CniVersion, stdin, problem)
	}
	if seconds > 0 {
		deadline = started.Add(time.Duration(seconds) * time.Second)
	}
	socket, ok := agentSocket(conf.IPAM.Socket)
	if !ok {
		fallback(stdin, false)
	}
	answer, err := callAgent(socket, stdin, started, deadline.Add(grace))
	if err == nil {
		os.Stderr.WriteString(answer.Stderr)
		os.Stdout.WriteString(answer.Stdout)
		os.Exit(*answer.ExitCode)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		timedOut(command, versionOf(conf.CniVersion), err)
	}
	fallback(stdin, false)
}

// readStdin reads all of stdin unless it is larger than the plugin accepts or not closed by the
// deadline; then ok is false and the Node plugin, given what was read, reports the problem.
func readStdin(deadline time.Time) ([]byte, bool) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(os.Stdin, maxStdin+1))
		done <- result{data, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case r := <-done:
		return r.data, r.err == nil && len(r.data) <= maxStdin
	case <-timer.C:
		// The runtime never closed stdin: the plugin's answer for that (lib/cni-plugin/stdin.ts).
		out, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "code": 6, "msg": "failed to parse CNI network configuration: stdin was not closed before the deadline", "details": "stdin"})
		os.Stdout.Write(append(out, '\n'))
		os.Exit(1)
		return nil, false
	}
}

func callAgent(socket string, stdin []byte, started, deadline time.Time) (*execAnswer, error) {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, found := strings.Cut(kv, "="); found && strings.HasPrefix(k, envPrefix) {
			env[k] = v
		}
	}
	body, err := json.Marshal(execRequest{Env: env, Stdin: base64.StdEncoding.EncodeToString(stdin), StartedAtMs: started.UnixMilli()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	client := http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost"+execPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("agent answered %s to %s", res.Status, execPath)
	}
	var answer execAnswer
	if err := json.Unmarshal(data, &answer); err != nil || answer.ExitCode == nil {
		return nil, fmt.Errorf("agent answer to %s is not an exec result", execPath)
	}
	return &answer, nil
}

// timedOut answers for an agent that took the call and did not finish it in time, with the
// outcome the plugin gives a missed deadline: success for DEL (a failing DEL blocks Pod deletion
// for ever; GC reclaims the address), code 50 for STATUS, code 11 ("try again later") otherwise.
func timedOut(command, cniVersion string, cause error) {
	if command == "DEL" {
		fmt.Fprintf(os.Stderr, "spiderpool: DEL did not finish before its deadline (%v); reporting success, GC reclaims the address\n", cause)
		os.Exit(0)
	}
	code := 11
	if command == "STATUS" {
		code = 50
	}
	if cniVersion == "" {
		cniVersion = "1.1.0"
	}
	out, _ := json.Marshal(map[string]any{"cniVersion": cniVersion, "code": code, "msg": command + " did not finish before its deadline", "details": cause.Error()})
	os.Stdout.Write(append(out, '\n'))
	os.Exit(1)
}

// fallback runs the Node plugin beside this executable on the same environment and stdin (or,
// when the shim did not read stdin, on the inherited one) and exits with its exit code.
func fallback(stdin []byte, inheritStdin bool) {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	node := filepath.Join(filepath.Dir(self), filepath.Base(self)+"-node")
	cmd := exec.Command(node, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if inheritStdin {
		cmd.Stdin = os.Stdin
	} else {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() >= 0 {
			os.Exit(exit.ExitCode())
		}
		out, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "code": 110, "msg": "spiderpool plugin internal error: cannot run " + node + ": " + err.Error()})
		os.Stdout.Write(append(out, '\n'))
		os.Exit(1)
	}
	os.Exit(0)
}

// timeoutOf reads ipam.timeout_seconds: 0 and no problem when it is absent or not a number (the
// plugin reports a wrong type, and the default deadline holds until it has), the seconds when
// they are a whole number within the bounds, else the plugin's error text for the value.
func timeoutOf(raw json.RawMessage) (int, string) {
	text := strings.TrimSpace(string(raw))
	if text == "" || (text[0] != '-' && (text[0] < '0' || text[0] > '9')) {
		return 0, ""
	}
	// A JSON number too large for float64 is ±Inf with ErrRange, as JSON.parse makes it Infinity.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, ""
	}
	if f == math.Trunc(f) && f >= minTimeoutSeconds && f <= maxTimeoutSeconds {
		return int(f), ""
	}
	return 0, fmt.Sprintf("%s ipam.timeout_seconds: expected a whole number of seconds from %d to %d, got %s", loadPrefix, minTimeoutSeconds, maxTimeoutSeconds, formatNumber(f))
}

// formatNumber prints f as JavaScript's JSON.stringify does (encoding/json follows ECMAScript for
// finite values), with Infinity spelled as String(Infinity) and -0 as 0.
func formatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	out, _ := json.Marshal(f)
	return string(out)
}

// versionOf is the netconf's cniVersion when it is a string naming a supported version, else "".
func versionOf(raw json.RawMessage) string {
	var v string
	if json.Unmarshal(raw, &v) != nil || !slices.Contains(supportedVersions, v) {
		return ""
	}
	return v
}

// refuseTimeout prints the plugin's answer to an out-of-bounds timeout (CNI error 7, exit 1), in
// the netconf's cniVersion as the plugin would. An unsupported cniVersion string is the plugin's
// first complaint, not this one: that call goes to the Node executable.
func refuseTimeout(rawVersion json.RawMessage, stdin []byte, problem string) {
	version := versionOf(rawVersion)
	var asString string
	if version == "" && json.Unmarshal(rawVersion, &asString) == nil {
		fallback(stdin, false)
	}
	if version == "" {
		version = "1.1.0"
	}
	writeCniError(cniError{CniVersion: version, Code: codeInvalidNetworkConfig, Msg: problem, Details: "ipam.timeout_seconds"})
	os.Exit(1)
}

// writeCniError prints one error object and a newline, byte for byte as the plugin does
// (JSON.stringify escapes no HTML characters).
func writeCniError(e cniError) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e)
	os.Stdout.Write(out.Bytes())
}

// agentSocket is the socket to call: the netconf's, or spiderpool.sock in the node's run
// directory when it names none. ok is false when the netconf's socket is not below the run
// directory (lexically, or once symbolic links are followed) or the node's file cannot be read:
// the Node executable then gives the error the plugin gives.
func agentSocket(fromNetconf string) (string, bool) {
	dirs, ok := readHostDirs()
	if !ok {
		return "", false
	}
	if fromNetconf == "" {
		return filepath.Join(dirs.RunDir, socketName), true
	}
	if !filepath.IsAbs(fromNetconf) || strings.ContainsRune(fromNetconf, 0) {
		return "", false
	}
	socket := filepath.Clean(fromNetconf)
	if !below(socket, dirs.RunDir) || !below(resolveExisting(socket), resolveExisting(dirs.RunDir)) {
		return "", false
	}
	return socket, true
}

// readHostDirs reads hostConfigFile beside this executable; an absent file means the defaults.
// Anything the Node executable would refuse (not JSON, unknown keys, relative paths) is !ok.
func readHostDirs() (hostDirs, bool) {
	dirs := hostDirs{LogDir: "/var/log/spidernet", RunDir: defaultRunDir}
	self, err := os.Executable()
	if err != nil {
		return dirs, false
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(self), hostConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return dirs, true
	}
	if err != nil {
		return dirs, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var read struct {
		LogDir *string `json:"logDir"`
		RunDir *string `json:"runDir"`
	}
	if dec.Decode(&read) != nil {
		return dirs, false
	}
	for _, p := range []**string{&read.LogDir, &read.RunDir} {
		if *p != nil && !filepath.IsAbs(**p) {
			return dirs, false
		}
	}
	if read.RunDir != nil {
		dirs.RunDir = filepath.Clean(*read.RunDir)
	}
	if read.LogDir != nil {
		dirs.LogDir = filepath.Clean(*read.LogDir)
	}
	return dirs, true
}

// below reports whether path is strictly below dir (both clean and absolute).
func below(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}

// resolveExisting follows the symbolic links of the longest existing prefix of path and appends
// the rest: what connecting to path would reach (lib/cni-plugin/contained-path.ts resolveExisting).
func resolveExisting(path string) string {
	rest := ""
	at := path
	for {
		if real, err := filepath.EvalSymlinks(at); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(at)
		if parent == at {
			return path
		}
		rest = filepath.Join(filepath.Base(at), rest)
		at = parent
	}
}
