// Command coordinator is the chained CNI plugin that checks, before a pod starts, that nothing
// else on the wire answers for the addresses the main plugin gave it and that its gateway
// answers (cni/README.md, "coordinator/": the calls, the probes, the error codes).
//
// It holds no policy. For ADD it asks the node's agent what to probe (POST /v1/coordinator/plan),
// probes inside the pod's network namespace on the pod's interface (ARP for IPv4, NDP for IPv6),
// and when a probe found something tells the agent (POST /v1/coordinator/report), which decides
// (quarantine, keep a StatefulSet's address), records, and writes the error the runtime shows.
// The only texts of its own are for what goes wrong here: no agent, a probe that cannot run, a
// netconf it cannot hand on.
//
// Written in Go, like the exec shim (cni/shim), because it must setns a thread into the pod's
// namespace and speak raw Ethernet there, and because it runs on every ADD of such a network.
package main

import (
	"fmt"
	"io"
	"os"
)

const maxStdin = 1 << 20

func main() {
	switch command := os.Getenv("CNI_COMMAND"); command {
	case "ADD":
		out, problem := add()
		if problem != nil {
			exitWith(problem, versionOfStdin)
		}
		os.Stdout.Write(append(out, '\n'))
	case "DEL", "CHECK", "GC", "STATUS":
		// Nothing to undo or verify: probes leave no state behind. stdin is not even read.
	case "VERSION":
		writeJSON(map[string]any{"cniVersion": "1.1.0", "supportedVersions": supportedVersions})
	default:
		exitWith(fail(codeInvalidEnvironment, "CNI_COMMAND", fmt.Sprintf("CNI_COMMAND: expected ADD, DEL, CHECK, GC, STATUS or VERSION, got %q", command)), "")
	}
}

// versionOfStdin is the netconf's cniVersion once known, so errors are printed in it.
var versionOfStdin string

// add runs one ADD and returns what to print on success.
func add() ([]byte, *failure) {
	stdin, err := io.ReadAll(io.LimitReader(os.Stdin, maxStdin+1))
	if err != nil || len(stdin) > maxStdin {
		return nil, fail(codeDecodingFailure, "stdin", fmt.Sprintf("cannot read the network configuration on stdin (at most %d bytes)", maxStdin))
	}
	conf, problem := parseNetConf(stdin)
	if problem != nil {
		return nil, problem
	}
	versionOfStdin = conf.cniVersion
	// prevResult goes out as it came in: check it can be printed before asking anything.
	result, problem := resultFor(conf)
	if problem != nil {
		return nil, problem
	}
	env, problem := readCallEnv()
	if problem != nil {
		return nil, problem
	}
	socket, problem := agentSocket()
	if problem != nil {
		return nil, problem
	}
	agent := newAgentClient(socket)
	id := identity{ContainerID: env.containerID, Netns: env.netns, IfName: env.ifName, PodNamespace: env.podNamespace, PodName: env.podName, PodUID: env.podUID}

	var answer planAnswer
	if problem := agent.post(planPath, planRequest{identity: id, Netconf: conf.raw}, &answer); problem != nil {
		return nil, problem
	}
	if answer.CniError != nil {
		return nil, agentError(answer.CniError)
	}
	p, err := checkPlan(&answer, env.ifName)
	if err != nil {
		return nil, fail(codeTryAgainLater, socket, fmt.Sprintf("the spiderpool agent at %s answered %s with an unusable plan: %v", socket, planPath, err))
	}
	if len(p.probes) == 0 {
		return result, nil
	}
	findings, err := runProbes(env.netns, p)
	if err != nil {
		return nil, fail(codeProbeFailed, p.ifName, fmt.Sprintf("cannot probe on %s: %v", p.ifName, err))
	}
	if len(findings) == 0 {
		return result, nil
	}
	id.IfName = p.ifName
	var verdict reportAnswer
	if problem := agent.post(reportPath, reportRequest{identity: id, Findings: findings}, &verdict); problem != nil {
		return nil, problem
	}
	if verdict.CniError != nil {
		return nil, agentError(verdict.CniError)
	}
	return result, nil
}

// agentError is the agent's decision, printed as it wrote it (no prefix of ours).
func agentError(e *agentCniError) *failure {
	return &failure{code: e.Code, msg: e.Msg, details: e.Details}
}

// exitWith prints f as a CNI error in version (or the newest we speak) and exits 1.
func exitWith(f *failure, version string) {
	if version == "" {
		version = defaultErrorVersion
	}
	writeJSON(cniError{CniVersion: version, Code: f.code, Msg: f.msg, Details: f.details})
	os.Exit(1)
}
