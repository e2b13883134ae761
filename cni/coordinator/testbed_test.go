package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A two-namespace testbed: "pod" (where the probes run, interface net1) and "peer" (the rest of
// the wire, interface peer0), joined by a veth pair created directly inside them, so nothing is
// ever attached to the machine's own interfaces. Fixed MACs make answers recognisable.
const (
	podIf   = "net1"
	peerIf  = "peer0"
	podMAC  = "02:c0:de:00:00:01"
	peerMAC = "02:c0:de:00:00:02"
)

type testbed struct {
	t          testing.TB
	pod, peer  string // netns names
	podNetns   string // path, as CNI_NETNS gives it
	peerNetnsP string
}

var testbeds atomic.Int32

// requireRoot skips, saying why, where the test needs network namespaces.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces and veth pairs (run go test as root)")
	}
}

func newTestbed(t testing.TB) *testbed {
	requireRoot(t)
	name := fmt.Sprintf("spcoord-%d-%d", os.Getpid(), testbeds.Add(1))
	tb := &testbed{t: t, pod: name + "-pod", peer: name + "-peer"}
	for _, ns := range []string{tb.pod, tb.peer} {
		ns := ns
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	tb.podNetns, tb.peerNetnsP = "/run/netns/"+tb.pod, "/run/netns/"+tb.peer
	run(t, "ip", "link", "add", podIf, "netns", tb.pod, "address", podMAC, "type", "veth", "peer", "name", peerIf, "netns", tb.peer, "address", peerMAC)
	for _, side := range [][2]string{{tb.pod, podIf}, {tb.peer, peerIf}} {
		run(t, "ip", "-n", side[0], "link", "set", "lo", "up")
		run(t, "ip", "-n", side[0], "link", "set", side[1], "up")
	}
	tb.waitUp()
	return tb
}

// waitUp waits for the veth carrier (both ends up), so a probe's first frame is not lost.
func (tb *testbed) waitUp() {
	for i := 0; i < 200; i++ {
		out, _ := exec.Command("ip", "-n", tb.pod, "-o", "link", "show", "dev", podIf).Output()
		if strings.Contains(string(out), "state UP") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.t.Fatalf("%s in %s never came up", podIf, tb.pod)
}

// podAddr / peerAddr configure an address (IPv6 without DAD, so it answers at once).
func (tb *testbed) podAddr(cidr string)  { tb.addr(tb.pod, podIf, cidr) }
func (tb *testbed) peerAddr(cidr string) { tb.addr(tb.peer, peerIf, cidr) }

func (tb *testbed) addr(ns, dev, cidr string) {
	args := []string{"-n", ns, "addr", "add", cidr, "dev", dev}
	if strings.Contains(cidr, ":") {
		args = append(args, "nodad")
	}
	run(tb.t, "ip", args...)
}

// peerCounter counts, in the peer namespace, the probe frames asking for target: what left the
// pod's interface, independent of the prober's own view of it.
func (tb *testbed) peerCounter(target netip.Addr) func() int {
	tb.t.Helper()
	var socket *packetSocket
	etherType := uint16(etherTypeARP)
	if target.Is6() {
		etherType = etherTypeIPv6
	}
	err := inNetns(tb.peerNetnsP, func() error {
		l, err := lookupLink(peerIf)
		if err != nil {
			return err
		}
		socket, err = openPacketSocket(l, etherType)
		return err
	})
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Cleanup(socket.close)
	return func() int {
		count := 0
		buf := make([]byte, 1600)
		for {
			frame, err := socket.receive(buf, time.Now().Add(20*time.Millisecond))
			if err != nil {
				tb.t.Fatal(err)
			}
			if frame == nil {
				return count
			}
			if asksFor(frame, target) {
				count++
			}
		}
	}
}

// asksFor: an ARP request or a Neighbor Solicitation for target from the pod's MAC.
func asksFor(frame []byte, target netip.Addr) bool {
	if !strings.EqualFold(net.HardwareAddr(frame[6:12]).String(), podMAC) {
		return false
	}
	if p, ok := parseARP(frame); ok {
		t, _ := netip.AddrFromSlice(frame[etherHeader+24 : etherHeader+28])
		return p.op == arpRequest && t == target
	}
	if len(frame) >= etherHeader+ipv6Header+24 && frame[etherHeader+6] == icmpv6Protocol && frame[etherHeader+ipv6Header] == neighborSolicitation {
		t, _ := netip.AddrFromSlice(frame[etherHeader+ipv6Header+8 : etherHeader+ipv6Header+24])
		return t == target
	}
	return false
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}
