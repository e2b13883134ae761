package main

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// finding is what a probe reports to the agent (cni/README.md, the report call).
type finding struct {
	Kind     string `json:"kind"` // "conflict" or "gatewayUnreachable"
	IP       string `json:"ip"`
	MAC      string `json:"mac,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	WaitedMs int64  `json:"waitedMs,omitempty"`
}

// armedProbe is a probe with its socket open in the pod's namespace and its frame built.
type armedProbe struct {
	probe
	socket *packetSocket
	frame  []byte
	// answered judges a received frame: ok when it is the answer the probe waits for, with
	// the MAC of the conflicting host for a conflict probe.
	answered func(frame []byte) (mac net.HardwareAddr, ok bool)
}

// runProbes runs every probe of p on ifName inside the network namespace at netnsPath and
// returns what they found. Each probe has its own socket, so they run at once without taking
// each other's frames, and the ADD waits for the slowest probe instead of the sum of them all.
// An error means a probe could not run at all (netns, interface, socket): no verdict.
func runProbes(netnsPath string, p *plan) ([]finding, error) {
	var armed []*armedProbe
	closeAll := func() {
		sockets := make([]*packetSocket, 0, len(armed))
		for _, a := range armed {
			sockets = append(sockets, a.socket)
		}
		closeSockets(sockets)
	}
	err := inNetns(netnsPath, func() error {
		l, err := lookupLink(p.ifName)
		if err != nil {
			return err
		}
		for _, pr := range p.probes {
			a, err := arm(l, pr)
			if err != nil {
				return err
			}
			armed = append(armed, a)
		}
		return nil
	})
	defer closeAll()
	if err != nil {
		return nil, fmt.Errorf("in network namespace %s: %w", netnsPath, err)
	}
	deadline := time.Now().Add(p.deadline)
	results := make([]*finding, len(armed))
	errs := make([]error, len(armed))
	var wg sync.WaitGroup
	for i, a := range armed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = a.run(p.retries, p.timeout, deadline)
		}()
	}
	wg.Wait()
	var findings []finding
	for i := range armed {
		if errs[i] != nil {
			return nil, fmt.Errorf("in network namespace %s: %w", netnsPath, errs[i])
		}
		if results[i] != nil {
			findings = append(findings, *results[i])
		}
	}
	return findings, nil
}

// arm opens the probe's socket and builds its frame (inside the pod's namespace).
func arm(l *link, pr probe) (*armedProbe, error) {
	a := &armedProbe{probe: pr}
	var err error
	if pr.ip.Is4() {
		source := netip.IPv4Unspecified() // RFC 5227 probe
		if pr.kind == "gateway" && pr.source.IsValid() {
			source = pr.source
		}
		a.frame = arpRequestFrame(l.mac, source, pr.ip)
		a.socket, err = openPacketSocket(l, etherTypeARP)
		a.answered = func(frame []byte) (net.HardwareAddr, bool) {
			if pr.kind == "gateway" {
				return nil, arpAnswers(frame, l.mac, pr.ip)
			}
			mac, ok := arpConflict(frame, l.mac, pr.ip)
			return mac, ok && !l.isOwn(mac)
		}
	} else {
		source := netip.IPv6Unspecified() // DAD form
		if pr.kind == "gateway" {
			// The pod's address the agent named, else its link-local one: an NS from an
			// address gets a unicast answer; from :: (no usable address yet) the gateway
			// answers all nodes, which reaches us too.
			if pr.source.IsValid() {
				source = pr.source
			} else if l.linkLocal.IsValid() {
				source = l.linkLocal
			}
		}
		a.frame = neighborSolicitationFrame(l.mac, source, pr.ip)
		a.socket, err = openPacketSocket(l, etherTypeIPv6)
		a.answered = func(frame []byte) (net.HardwareAddr, bool) {
			if pr.kind == "gateway" {
				return nil, ndpAnswers(frame, l.mac, pr.ip)
			}
			mac, ok := ndpConflict(frame, l.mac, pr.ip)
			return mac, ok && !l.isOwn(mac)
		}
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// run sends up to retries frames, each followed by a wait of timeout for an answer, all within
// deadline. A conflict probe that hears nothing finds nothing; a gateway probe that hears
// nothing finds the gateway unreachable, saying how long it waited.
func (a *armedProbe) run(retries int, timeout time.Duration, deadline time.Time) (*finding, error) {
	buf := make([]byte, 1600)
	started := time.Now()
	attempts := 0
	for attempts < retries && time.Now().Before(deadline) {
		attempts++
		if err := a.socket.send(a.frame); err != nil {
			return nil, err
		}
		wait := time.Now().Add(timeout)
		if wait.After(deadline) {
			wait = deadline
		}
		for {
			frame, err := a.socket.receive(buf, wait)
			if err != nil {
				return nil, err
			}
			if frame == nil {
				break
			}
			if mac, ok := a.answered(frame); ok {
				if a.kind == "gateway" {
					return nil, nil
				}
				return &finding{Kind: "conflict", IP: a.ip.String(), MAC: mac.String()}, nil
			}
		}
	}
	if a.kind == "gateway" {
		return &finding{Kind: "gatewayUnreachable", IP: a.ip.String(), Attempts: attempts, WaitedMs: time.Since(started).Milliseconds()}, nil
	}
	return nil, nil
}
