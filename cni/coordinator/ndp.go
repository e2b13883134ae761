package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
)

const (
	ipv6Header            = 40
	icmpv6Protocol        = 58
	neighborSolicitation  = 135
	neighborAdvertisement = 136
	optionSourceLinkAddr  = 1
	optionTargetLinkAddr  = 2
	// RFC 4861 section 7.1.1: a receiver drops NDP messages that a router may have forwarded.
	ndpHopLimit = 255
)

// solicitedNode is target's solicited-node multicast group (RFC 4291 section 2.7.1) and its
// Ethernet group address (RFC 2464 section 7): where an NS for target goes.
func solicitedNode(target netip.Addr) (netip.Addr, net.HardwareAddr) {
	t := target.As16()
	group := netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
	return group, net.HardwareAddr{0x33, 0x33, 0xff, t[13], t[14], t[15]}
}

// neighborSolicitationFrame asks who holds target. With source :: it is the DAD form (RFC 4862
// section 5.4.2): no source link-layer option, and a holder answers to all nodes; with a source
// address it carries our MAC so the holder can answer us directly.
func neighborSolicitationFrame(mac net.HardwareAddr, source, target netip.Addr) []byte {
	group, groupMAC := solicitedNode(target)
	icmp := []byte{neighborSolicitation, 0, 0, 0, 0, 0, 0, 0}
	t := target.As16()
	icmp = append(icmp, t[:]...)
	if !source.IsUnspecified() {
		icmp = append(icmp, optionSourceLinkAddr, 1)
		icmp = append(icmp, mac...)
	}
	binary.BigEndian.PutUint16(icmp[2:4], icmpv6Checksum(source, group, icmp))

	frame := make([]byte, 0, etherHeader+ipv6Header+len(icmp))
	frame = append(frame, groupMAC...)
	frame = append(frame, mac...)
	frame = binary.BigEndian.AppendUint16(frame, etherTypeIPv6)
	frame = append(frame, 0x60, 0, 0, 0) // version 6, no traffic class or flow label
	frame = binary.BigEndian.AppendUint16(frame, uint16(len(icmp)))
	frame = append(frame, icmpv6Protocol, ndpHopLimit)
	s, g := source.As16(), group.As16()
	frame = append(frame, s[:]...)
	frame = append(frame, g[:]...)
	return append(frame, icmp...)
}

// icmpv6Checksum covers the IPv6 pseudo-header and the message (RFC 4443 section 2.3).
func icmpv6Checksum(source, destination netip.Addr, message []byte) uint16 {
	s, d := source.As16(), destination.As16()
	pseudo := make([]byte, 0, 40+len(message))
	pseudo = append(pseudo, s[:]...)
	pseudo = append(pseudo, d[:]...)
	pseudo = binary.BigEndian.AppendUint32(pseudo, uint32(len(message)))
	pseudo = append(pseudo, 0, 0, 0, icmpv6Protocol)
	pseudo = append(pseudo, message...)
	var sum uint32
	for i := 0; i+1 < len(pseudo); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	if len(pseudo)%2 == 1 {
		sum += uint32(pseudo[len(pseudo)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// neighborAdvertisement is the part of a received NA the probes judge.
type neighborAdvert struct {
	target netip.Addr
	mac    net.HardwareAddr // target link-layer option, else the frame's source MAC
}

// parseNeighborAdvertisement reads an Ethernet/IPv6/ICMPv6 NA without extension headers (NDP
// messages carry none); ok is false for anything else, including a wrong hop limit or checksum.
func parseNeighborAdvertisement(frame []byte) (neighborAdvert, bool) {
	if len(frame) < etherHeader+ipv6Header+24 || binary.BigEndian.Uint16(frame[12:14]) != etherTypeIPv6 {
		return neighborAdvert{}, false
	}
	ip := frame[etherHeader:]
	length := int(binary.BigEndian.Uint16(ip[4:6]))
	if ip[0]>>4 != 6 || ip[6] != icmpv6Protocol || ip[7] != ndpHopLimit || length < 24 || len(ip) < ipv6Header+length {
		return neighborAdvert{}, false
	}
	icmp := ip[ipv6Header : ipv6Header+length]
	if icmp[0] != neighborAdvertisement || icmp[1] != 0 {
		return neighborAdvert{}, false
	}
	source, _ := netip.AddrFromSlice(ip[8:24])
	destination, _ := netip.AddrFromSlice(ip[24:40])
	if icmpv6Checksum(source, destination, icmp) != 0 {
		return neighborAdvert{}, false
	}
	target, _ := netip.AddrFromSlice(icmp[8:24])
	na := neighborAdvert{target: target, mac: net.HardwareAddr(bytes.Clone(frame[6:12]))}
	for options := icmp[24:]; len(options) >= 8; {
		size := int(options[1]) * 8
		if size == 0 || size > len(options) {
			break
		}
		if options[0] == optionTargetLinkAddr && size >= 8 {
			na.mac = net.HardwareAddr(bytes.Clone(options[2:8]))
		}
		options = options[size:]
	}
	return na, true
}

// ndpConflict: an NA for ip from a MAC that is not ours.
func ndpConflict(frame []byte, ours net.HardwareAddr, ip netip.Addr) (net.HardwareAddr, bool) {
	na, ok := parseNeighborAdvertisement(frame)
	if !ok || na.target != ip || bytes.Equal(na.mac, ours) {
		return nil, false
	}
	return na.mac, true
}

// ndpAnswers: an NA for the gateway from anything but us.
func ndpAnswers(frame []byte, ours net.HardwareAddr, gateway netip.Addr) bool {
	_, ok := ndpConflict(frame, ours, gateway)
	return ok
}
