package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Short waits keep the suite fast; the benchmark measures the agent's defaults.
const (
	testTimeout = 100 * time.Millisecond
	testRetries = 3
)

func testPlan(probes ...probe) *plan {
	return &plan{probes: probes, ifName: podIf, timeout: testTimeout, retries: testRetries, deadline: 5 * time.Second}
}

func conflictProbe(ip string) probe { return probe{kind: "conflict", ip: netip.MustParseAddr(ip)} }

func gatewayProbe(ip, source string) probe {
	p := probe{kind: "gateway", ip: netip.MustParseAddr(ip)}
	if source != "" {
		p.source = netip.MustParseAddr(source)
	}
	return p
}

func TestConflictProbe(t *testing.T) {
	for _, family := range []struct{ name, taken, free, prefix string }{
		{"IPv4", "10.251.0.5", "10.251.0.6", "/24"},
		{"IPv6", "fd00:251::5", "fd00:251::6", "/64"},
	} {
		t.Run(family.name, func(t *testing.T) {
			tb := newTestbed(t)
			// The pod holds both addresses, as after the main plugin; the peer holds one of them.
			tb.podAddr(family.taken + family.prefix)
			tb.podAddr(family.free + family.prefix)
			tb.peerAddr(family.taken + family.prefix)

			findings, err := runProbes(tb.podNetns, testPlan(conflictProbe(family.taken)))
			if err != nil {
				t.Fatal(err)
			}
			want := finding{Kind: "conflict", IP: family.taken, MAC: peerMAC}
			if len(findings) != 1 || findings[0] != want {
				t.Fatalf("the peer holds %s: got %+v, want [%+v]", family.taken, findings, want)
			}

			// Nobody else holds the free one: every attempt goes out, nothing comes back, and
			// the pod's own address and frames are not taken for someone else's.
			sent := tb.peerCounter(netip.MustParseAddr(family.free))
			findings, err = runProbes(tb.podNetns, testPlan(conflictProbe(family.free)))
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != 0 {
				t.Fatalf("nobody else holds %s: got %+v", family.free, findings)
			}
			if n := sent(); n != testRetries {
				t.Fatalf("the peer saw %d probes for %s, want %d (one per attempt)", n, family.free, testRetries)
			}
		})
	}
}

func TestConflictProbeFrames(t *testing.T) {
	// What goes on the wire, read on the peer: RFC 5227's sender 0.0.0.0, DAD's source ::.
	tb := newTestbed(t)
	for _, ip := range []string{"10.251.0.7", "fd00:251::7"} {
		target := netip.MustParseAddr(ip)
		var socket *packetSocket
		etherType := uint16(etherTypeARP)
		if target.Is6() {
			etherType = etherTypeIPv6
		}
		if err := inNetns(tb.peerNetnsP, func() error {
			l, err := lookupLink(peerIf)
			if err == nil {
				socket, err = openPacketSocket(l, etherType)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		p := testPlan(conflictProbe(ip))
		p.retries = 1
		if _, err := runProbes(tb.podNetns, p); err != nil {
			t.Fatal(err)
		}
		frame, err := socket.receive(make([]byte, 1600), time.Now().Add(time.Second))
		socket.close()
		if err != nil || frame == nil {
			t.Fatalf("%s: no probe frame reached the peer (%v)", ip, err)
		}
		if target.Is4() {
			sender, _ := netip.AddrFromSlice(frame[etherHeader+14 : etherHeader+18])
			if !asksFor(frame, target) || sender != netip.IPv4Unspecified() {
				t.Fatalf("%s: not an ARP probe from 0.0.0.0: % x", ip, frame)
			}
		} else {
			source, _ := netip.AddrFromSlice(frame[etherHeader+8 : etherHeader+24])
			destination, _ := netip.AddrFromSlice(frame[etherHeader+24 : etherHeader+40])
			if !asksFor(frame, target) || source != netip.IPv6Unspecified() || destination != netip.MustParseAddr("ff02::1:ff00:7") {
				t.Fatalf("%s: not a DAD solicitation from :: to ff02::1:ff00:7: % x", ip, frame)
			}
		}
	}
}

func TestGatewayProbe(t *testing.T) {
	for _, family := range []struct{ name, pod, gateway, absent, prefix string }{
		{"IPv4", "10.251.0.5", "10.251.0.1", "10.251.0.254", "/24"},
		{"IPv6", "fd00:251::5", "fd00:251::1", "fd00:251::fe", "/64"},
	} {
		t.Run(family.name, func(t *testing.T) {
			tb := newTestbed(t)
			tb.podAddr(family.pod + family.prefix)
			tb.peerAddr(family.gateway + family.prefix)

			for _, source := range []string{family.pod, ""} {
				findings, err := runProbes(tb.podNetns, testPlan(gatewayProbe(family.gateway, source)))
				if err != nil {
					t.Fatal(err)
				}
				if len(findings) != 0 {
					t.Fatalf("gateway %s is there (source %q): got %+v", family.gateway, source, findings)
				}
			}

			findings, err := runProbes(tb.podNetns, testPlan(gatewayProbe(family.absent, family.pod)))
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != 1 || findings[0].Kind != "gatewayUnreachable" || findings[0].IP != family.absent || findings[0].Attempts != testRetries || findings[0].MAC != "" {
				t.Fatalf("gateway %s is absent: got %+v", family.absent, findings)
			}
		})
	}
}

func TestProbesTogether(t *testing.T) {
	// One plan with every kind at once: each probe keeps its own answers.
	// (The gateway's source is not the conflicting address: a Linux gateway ignores an ARP
	// request whose sender is one of its own addresses.)
	tb := newTestbed(t)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("10.251.0.8/24")
	tb.podAddr("fd00:251::5/64")
	tb.peerAddr("10.251.0.8/24")
	tb.peerAddr("10.251.0.1/24")
	findings, err := runProbes(tb.podNetns, testPlan(
		conflictProbe("10.251.0.8"), conflictProbe("fd00:251::5"),
		gatewayProbe("10.251.0.1", "10.251.0.5"), gatewayProbe("fd00:251::1", "fd00:251::5")))
	if err != nil {
		t.Fatal(err)
	}
	want := []finding{{Kind: "conflict", IP: "10.251.0.8", MAC: peerMAC}, {Kind: "gatewayUnreachable", IP: "fd00:251::1", Attempts: testRetries}}
	if len(findings) != 2 || findings[0] != want[0] || findings[1].Kind != want[1].Kind || findings[1].IP != want[1].IP || findings[1].Attempts != want[1].Attempts {
		t.Fatalf("got %+v, want %+v", findings, want)
	}
}

func TestProbeCannotRun(t *testing.T) {
	requireRoot(t)
	tb := newTestbed(t)
	for _, c := range []struct {
		netns, ifName, says string
	}{
		{"/run/netns/spcoord-does-not-exist", podIf, "/run/netns/spcoord-does-not-exist"},
		{tb.podNetns, "eth9", "no interface eth9"},
	} {
		p := testPlan(conflictProbe("10.251.0.5"))
		p.ifName = c.ifName
		_, err := runProbes(c.netns, p)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.netns) {
			t.Errorf("netns %s, interface %s: got %v, want an error naming %q and the netns", c.netns, c.ifName, err, c.says)
		}
	}
	run(t, "ip", "-n", tb.pod, "link", "set", podIf, "down")
	if _, err := runProbes(tb.podNetns, testPlan(conflictProbe("10.251.0.5"))); err == nil || !strings.Contains(err.Error(), "is down") {
		t.Errorf("interface down: got %v", err)
	}
}
