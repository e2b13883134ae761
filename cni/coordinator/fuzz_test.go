package main

import (
	"net/netip"
	"testing"
)

// Whatever arrives on the pod's interface is read by the frame parsers: no frame may make them
// panic, and only well-formed answers count.
func FuzzFrameJudgement(f *testing.F) {
	ip4, ip6 := netip.MustParseAddr("10.6.0.5"), netip.MustParseAddr("fd00::5")
	f.Add(arpFrame(arpReply, theirs, ip4, netip.IPv4Unspecified()))
	f.Add(advert(theirs, ip6, ip6, theirs))
	f.Add(neighborSolicitationFrame(ours, ip6, ip6))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if mac, ok := arpConflict(frame, ours, ip4); ok && len(mac) != 6 {
			t.Fatalf("conflict with a %d-byte MAC", len(mac))
		}
		if mac, ok := ndpConflict(frame, ours, ip6); ok && len(mac) != 6 {
			t.Fatalf("conflict with a %d-byte MAC", len(mac))
		}
		_ = arpAnswers(frame, ours, ip4)
		_ = ndpAnswers(frame, ours, ip6)
	})
}
