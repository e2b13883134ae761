package main

import (
	"fmt"
	"net/netip"
	"time"
)

// Bounds the prober accepts from the agent. The agent validates the user's options against its
// own (stricter) bounds; these only keep a broken answer from making the ADD hang or spin.
const (
	maxProbeTimeout = 10 * time.Second
	maxRetries      = 20
	maxDeadline     = 60 * time.Second
	maxProbes       = 64
)

// plannedProbe is one probe as the agent asks for it (cni/README.md, the plan call).
type plannedProbe struct {
	Kind   string `json:"kind"`
	IP     string `json:"ip"`
	Family int    `json:"family"`
	Source string `json:"source,omitempty"`
}

// planAnswer is the agent's 200 answer to the plan call: probes to run, or its error.
type planAnswer struct {
	Probes     []plannedProbe `json:"probes"`
	IfName     string         `json:"ifName"`
	TimeoutMs  int            `json:"timeoutMs"`
	Retries    int            `json:"retries"`
	DeadlineMs int            `json:"deadlineMs"`
	CniError   *agentCniError `json:"cniError"`
}

// probe is a checked plannedProbe.
type probe struct {
	kind   string // "conflict" or "gateway"
	ip     netip.Addr
	source netip.Addr // gateway probes; invalid when the agent gave none
}

// plan is a checked planAnswer.
type plan struct {
	probes   []probe
	ifName   string
	timeout  time.Duration
	retries  int
	deadline time.Duration
}

// checkPlan turns the agent's answer into a plan, or says what is wrong with it (the caller
// reports that as an agent answering garbage). fallbackIf is CNI_IFNAME, for an answer without one.
func checkPlan(a *planAnswer, fallbackIf string) (*plan, error) {
	p := &plan{ifName: a.IfName, retries: a.Retries,
		timeout: time.Duration(a.TimeoutMs) * time.Millisecond, deadline: time.Duration(a.DeadlineMs) * time.Millisecond}
	if p.ifName == "" {
		p.ifName = fallbackIf
	}
	if len(a.Probes) == 0 {
		return p, nil
	}
	if len(a.Probes) > maxProbes {
		return nil, fmt.Errorf("probes: %d probes, at most %d", len(a.Probes), maxProbes)
	}
	if p.timeout <= 0 || p.timeout > maxProbeTimeout {
		return nil, fmt.Errorf("timeoutMs: expected 1 to %d, got %d", maxProbeTimeout.Milliseconds(), a.TimeoutMs)
	}
	if p.retries < 1 || p.retries > maxRetries {
		return nil, fmt.Errorf("retries: expected 1 to %d, got %d", maxRetries, a.Retries)
	}
	if p.deadline <= 0 || p.deadline > maxDeadline {
		return nil, fmt.Errorf("deadlineMs: expected 1 to %d, got %d", maxDeadline.Milliseconds(), a.DeadlineMs)
	}
	for i, planned := range a.Probes {
		checked, err := checkProbe(planned)
		if err != nil {
			return nil, fmt.Errorf("probes[%d]: %w", i, err)
		}
		p.probes = append(p.probes, checked)
	}
	return p, nil
}

func checkProbe(planned plannedProbe) (probe, error) {
	if planned.Kind != "conflict" && planned.Kind != "gateway" {
		return probe{}, fmt.Errorf("kind: expected conflict or gateway, got %q", planned.Kind)
	}
	ip, err := netip.ParseAddr(planned.IP)
	if err != nil || ip.Zone() != "" || familyOf(ip) != planned.Family {
		return probe{}, fmt.Errorf("ip: expected an IPv%d address, got %q", planned.Family, planned.IP)
	}
	out := probe{kind: planned.Kind, ip: ip}
	if planned.Source != "" {
		source, err := netip.ParseAddr(planned.Source)
		if err != nil || planned.Kind != "gateway" || familyOf(source) != planned.Family {
			return probe{}, fmt.Errorf("source: expected an IPv%d address on a gateway probe, got %q", planned.Family, planned.Source)
		}
		out.source = source
	}
	return out, nil
}

// familyOf is 4 or 6; 0 for an IPv4-mapped IPv6 address, which is neither on the wire.
func familyOf(ip netip.Addr) int {
	switch {
	case ip.Is4():
		return 4
	case ip.Is4In6():
		return 0
	}
	return 6
}
