package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
)

const (
	arpRequest = 1
	arpReply   = 2
	arpLength  = 28
)

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// arpRequestFrame is a broadcast ARP request from (mac, sender) for target. With sender 0.0.0.0
// it is RFC 5227's probe: it asks who holds target without claiming it, so no neighbour cache
// learns a mapping from it.
func arpRequestFrame(mac net.HardwareAddr, sender, target netip.Addr) []byte {
	frame := make([]byte, 0, etherHeader+arpLength)
	frame = append(frame, broadcastMAC...)
	frame = append(frame, mac...)
	frame = binary.BigEndian.AppendUint16(frame, etherTypeARP)
	frame = binary.BigEndian.AppendUint16(frame, 1)      // hardware: Ethernet
	frame = binary.BigEndian.AppendUint16(frame, 0x0800) // protocol: IPv4
	frame = append(frame, 6, 4)
	frame = binary.BigEndian.AppendUint16(frame, arpRequest)
	frame = append(frame, mac...)
	s := sender.As4()
	frame = append(frame, s[:]...)
	frame = append(frame, make([]byte, 6)...) // target MAC: unknown
	t := target.As4()
	return append(frame, t[:]...)
}

// arpPacket is the part of a received ARP frame the probes judge.
type arpPacket struct {
	op        uint16
	senderMAC net.HardwareAddr
	senderIP  netip.Addr
}

// parseARP reads an Ethernet/IPv4 ARP frame; ok is false for anything else.
func parseARP(frame []byte) (arpPacket, bool) {
	if len(frame) < etherHeader+arpLength || binary.BigEndian.Uint16(frame[12:14]) != etherTypeARP {
		return arpPacket{}, false
	}
	a := frame[etherHeader:]
	if binary.BigEndian.Uint16(a[0:2]) != 1 || binary.BigEndian.Uint16(a[2:4]) != 0x0800 || a[4] != 6 || a[5] != 4 {
		return arpPacket{}, false
	}
	ip, _ := netip.AddrFromSlice(a[14:18])
	return arpPacket{op: binary.BigEndian.Uint16(a[6:8]), senderMAC: net.HardwareAddr(bytes.Clone(a[8:14])), senderIP: ip}, true
}

// arpConflict: a frame that shows another host using ip, RFC 5227 section 2.1.1: a reply from ip,
// or a request that claims ip as its sender, from a MAC that is not ours.
func arpConflict(frame []byte, ours net.HardwareAddr, ip netip.Addr) (net.HardwareAddr, bool) {
	p, ok := parseARP(frame)
	if !ok || p.senderIP != ip || bytes.Equal(p.senderMAC, ours) || (p.op != arpReply && p.op != arpRequest) {
		return nil, false
	}
	return p.senderMAC, true
}

// arpAnswers: a reply from gateway to our request (any MAC but ours: the gateway may be a VRRP
// pair or a proxy, the probe only asks whether something answers for it).
func arpAnswers(frame []byte, ours net.HardwareAddr, gateway netip.Addr) bool {
	p, ok := parseARP(frame)
	return ok && p.op == arpReply && p.senderIP == gateway && !bytes.Equal(p.senderMAC, ours)
}
