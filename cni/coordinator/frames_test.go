package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

var (
	ours   = net.HardwareAddr{0x02, 0xc0, 0xde, 0, 0, 1}
	theirs = net.HardwareAddr{0x02, 0xc0, 0xde, 0, 0, 2}
)

// arpFrame is an ARP packet of op from (mac, sender).
func arpFrame(op uint16, mac net.HardwareAddr, sender, target netip.Addr) []byte {
	frame := arpRequestFrame(mac, sender, target)
	binary.BigEndian.PutUint16(frame[etherHeader+6:], op)
	return frame
}

func TestARPJudgement(t *testing.T) {
	ip := netip.MustParseAddr("10.6.0.5")
	other := netip.MustParseAddr("10.6.0.9")
	zero := netip.IPv4Unspecified()
	for _, c := range []struct {
		name     string
		frame    []byte
		conflict bool
	}{
		{"a reply from the address, another MAC", arpFrame(arpReply, theirs, ip, zero), true},
		{"a request claiming the address, another MAC", arpFrame(arpRequest, theirs, ip, other), true},
		{"a reply from the address with our own MAC", arpFrame(arpReply, ours, ip, zero), false},
		{"our own probe", arpRequestFrame(ours, zero, ip), false},
		{"another host's probe for it (sender 0.0.0.0)", arpRequestFrame(theirs, zero, ip), false},
		{"a reply from another address", arpFrame(arpReply, theirs, other, zero), false},
		{"a truncated frame", arpFrame(arpReply, theirs, ip, zero)[:30], false},
	} {
		mac, conflict := arpConflict(c.frame, ours, ip)
		if conflict != c.conflict || (conflict && mac.String() != theirs.String()) {
			t.Errorf("%s: got (%v, %v), want conflict %v with %v", c.name, mac, conflict, c.conflict, theirs)
		}
	}
	gateway := netip.MustParseAddr("10.6.0.1")
	if !arpAnswers(arpFrame(arpReply, theirs, gateway, ip), ours, gateway) {
		t.Error("a reply from the gateway is an answer")
	}
	if arpAnswers(arpFrame(arpRequest, theirs, gateway, ip), ours, gateway) || arpAnswers(arpFrame(arpReply, theirs, other, ip), ours, gateway) {
		t.Error("a request, or a reply from another address, is not the gateway's answer")
	}
}

// advert is a Neighbor Advertisement for target from (mac, source) to all nodes, with a target
// link-layer option when tlla is set.
func advert(mac net.HardwareAddr, source, target netip.Addr, tlla net.HardwareAddr) []byte {
	frame := neighborSolicitationFrame(mac, netip.IPv6Unspecified(), target) // a DAD NS: no option
	ip := frame[etherHeader:]
	icmp := ip[ipv6Header:]
	icmp[0] = neighborAdvertisement
	if tlla != nil {
		icmp = append(icmp, optionTargetLinkAddr, 1)
		icmp = append(icmp, tlla...)
		binary.BigEndian.PutUint16(ip[4:6], uint16(len(icmp)))
	}
	s := source.As16()
	copy(ip[8:24], s[:])
	all := netip.MustParseAddr("ff02::1").As16()
	copy(ip[24:40], all[:])
	icmp[2], icmp[3] = 0, 0
	binary.BigEndian.PutUint16(icmp[2:4], icmpv6Checksum(source, netip.MustParseAddr("ff02::1"), icmp))
	return append(frame[:etherHeader+ipv6Header], icmp...)
}

func TestNDPJudgement(t *testing.T) {
	ip := netip.MustParseAddr("fd00::5")
	other := netip.MustParseAddr("fd00::9")
	proxy := net.HardwareAddr{0x02, 0xc0, 0xde, 0, 0, 3}
	badSum := advert(theirs, ip, ip, nil)
	badSum[len(badSum)-1] ^= 0xff
	lowHops := advert(theirs, ip, ip, nil)
	lowHops[etherHeader+7] = 64
	for _, c := range []struct {
		name  string
		frame []byte
		mac   net.HardwareAddr
	}{
		{"an NA for the address from another MAC", advert(theirs, ip, ip, nil), theirs},
		{"an NA whose target link-layer option names the holder", advert(proxy, ip, ip, theirs), theirs},
		{"an NA for the address naming our own MAC", advert(ours, ip, ip, nil), nil},
		{"an NA for another address", advert(theirs, other, other, nil), nil},
		{"our own DAD solicitation", neighborSolicitationFrame(ours, netip.IPv6Unspecified(), ip), nil},
		{"an NA with a wrong checksum", badSum, nil},
		{"an NA a router forwarded (hop limit 64)", lowHops, nil},
	} {
		mac, conflict := ndpConflict(c.frame, ours, ip)
		if conflict != (c.mac != nil) || (conflict && mac.String() != c.mac.String()) {
			t.Errorf("%s: got (%v, %v), want %v", c.name, mac, conflict, c.mac)
		}
	}
}

func TestNeighborSolicitationFrame(t *testing.T) {
	target := netip.MustParseAddr("fd00::12:3456")
	group, groupMAC := solicitedNode(target)
	if group != netip.MustParseAddr("ff02::1:ff12:3456") || groupMAC.String() != "33:33:ff:12:34:56" {
		t.Fatalf("solicited-node group of %s: %s %s", target, group, groupMAC)
	}
	for _, source := range []netip.Addr{netip.IPv6Unspecified(), netip.MustParseAddr("fd00::5")} {
		frame := neighborSolicitationFrame(ours, source, target)
		icmp := frame[etherHeader+ipv6Header:]
		if icmpv6Checksum(source, group, icmp) != 0 {
			t.Errorf("source %s: checksum does not verify", source)
		}
		// DAD carries no source link-layer option (RFC 4862 5.4.2); an NS from an address does.
		wantLen := 24
		if !source.IsUnspecified() {
			wantLen = 32
		}
		if len(icmp) != wantLen || frame[etherHeader+7] != 255 || net.HardwareAddr(frame[0:6]).String() != groupMAC.String() {
			t.Errorf("source %s: % x", source, frame)
		}
	}
}
