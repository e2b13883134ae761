package main

import (
	"net"
	"testing"
)

// A pod with two NICs on one parent answers its own ARP probe from the other NIC (Linux answers
// for any local address on any interface): that MAC is the pod's, never a conflicting host.
func TestOwnInterfacesAreNotAnotherHost(t *testing.T) {
	sibling := net.HardwareAddr{0x02, 0xc0, 0xde, 0, 0, 3}
	l := &link{mac: ours, own: map[string]bool{ours.String(): true, sibling.String(): true}}
	for _, c := range []struct {
		mac  net.HardwareAddr
		own  bool
		name string
	}{
		{ours, true, "the probed interface"},
		{sibling, true, "another interface of the pod"},
		{theirs, false, "another host"},
		{nil, false, "no answer"},
	} {
		if got := l.isOwn(c.mac); got != c.own {
			t.Errorf("%s (%v): isOwn = %v, want %v", c.name, c.mac, got, c.own)
		}
	}
}
