package main

import (
	"fmt"
	"net"
	"net/netip"
)

// link is the pod's interface as the probes need it.
type link struct {
	name      string
	index     int
	mac       net.HardwareAddr
	linkLocal netip.Addr // invalid when the interface has none (IPv6 off, or DAD still running)
	// own holds the MACs of every interface of the pod's namespace. Linux answers ARP for any of
	// its addresses on any interface: a pod with two NICs on one parent (macvlan bridge mode)
	// hears its own probe on the other NIC and answers it from that NIC's MAC. That answer is
	// the pod itself, not another host.
	own map[string]bool
}

// isOwn tells whether mac belongs to an interface of the pod's own namespace.
func (l *link) isOwn(mac net.HardwareAddr) bool {
	return mac != nil && (l.own[mac.String()] || mac.String() == l.mac.String())
}

// lookupLink reads ifName in the calling thread's network namespace (call it inside inNetns).
func lookupLink(ifName string) (*link, error) {
	iface, err := net.InterfaceByName(ifName)
	if err != nil {
		return nil, fmt.Errorf("no interface %s: %w", ifName, err)
	}
	if len(iface.HardwareAddr) != 6 {
		return nil, fmt.Errorf("interface %s has no Ethernet address (ARP and NDP probes need one)", ifName)
	}
	if iface.Flags&net.FlagUp == 0 {
		return nil, fmt.Errorf("interface %s is down (the main plugin brings it up before coordinator runs)", ifName)
	}
	l := &link{name: ifName, index: iface.Index, mac: iface.HardwareAddr, own: map[string]bool{}}
	if all, err := net.Interfaces(); err == nil {
		for _, i := range all {
			if len(i.HardwareAddr) == 6 {
				l.own[i.HardwareAddr.String()] = true
			}
		}
	}
	addrs, err := iface.Addrs()
	if err != nil {
		return nil, fmt.Errorf("cannot list the addresses of %s: %w", ifName, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
				l.linkLocal = ip
				break
			}
		}
	}
	return l, nil
}
