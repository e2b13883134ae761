// Command spiderpool is the CNI IPAM plugin executable the runtime runs for every ADD and DEL.
//
// It holds no plugin logic. It forwards the call (the CNI_* environment and stdin) to the node's
// agent, which runs the TypeScript plugin (cni/plugin.ts) in-process and sends back what the
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
// the call's deadline.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	execPath      = "/v1/cni/exec"
	defaultSocket = "/var/run/spidernet/spiderpool.sock"
	maxStdin      = 1 << 20
	maxAnswer     = 8 << 20
	// The agent's own deadline (counted from startedAtMs) normally answers first, with its
	// better message; the shim waits this much longer before giving up itself.
	grace = 2 * time.Second
	// CNI_* variables the plugin reads, passed to the agent.
	envPrefix = "CNI_"
)

// Per-command deadlines when ipam.timeout_seconds is unset; cni/plugin.ts DEFAULT_TIMEOUT_SECONDS.
var defaultTimeout = map[string]time.Duration{
	"ADD": 60 * time.Second, "DEL": 30 * time.Second, "CHECK": 30 * time.Second,
	"GC": 60 * time.Second, "STATUS": 10 * time.Second,
}

type netConf struct {
	CniVersion string `json:"cniVersion"`
	IPAM       struct {
		Socket  string   `json:"ipam_unix_socket_path"`
		Timeout *float64 `json:"timeout_seconds"`
	} `json:"ipam"`
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
	if t := conf.IPAM.Timeout; t != nil && *t > 0 {
		deadline = started.Add(time.Duration(*t * float64(time.Second)))
	}
	socket := conf.IPAM.Socket
	if socket == "" {
		socket = defaultSocket
	}
	answer, err := callAgent(socket, stdin, started, deadline.Add(grace))
	if err == nil {
		os.Stderr.WriteString(answer.Stderr)
		os.Stdout.WriteString(answer.Stdout)
		os.Exit(*answer.ExitCode)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		timedOut(command, conf.CniVersion, err)
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
		// The runtime never closed stdin: the plugin's answer for that (cni/stdin.ts).
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
