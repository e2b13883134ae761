package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// Ethernet types the probes send and listen for.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
	etherHeader   = 14
)

// packetSocket is an AF_PACKET socket bound to one interface and one Ethernet type: the probe
// writes whole Ethernet frames and reads every frame of that type the interface sees. Raw frames,
// not the kernel's neighbour code, so an ARP probe can carry sender 0.0.0.0 (RFC 5227) and the
// pod's kernel does not cache, answer or suppress anything on the probe's behalf.
type packetSocket struct {
	fd        int
	ifIndex   int
	etherType uint16
	ifName    string
}

// openPacketSocket opens the socket in the calling thread's network namespace.
func openPacketSocket(l *link, etherType uint16) (*packetSocket, error) {
	// Protocol 0 here and the real one at bind: a socket opened with a protocol starts receiving
	// on every interface at once, and moving it to one interface then waits for an RCU grace
	// period (tens of milliseconds on a busy node) on every ADD.
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open a packet socket on %s: %w", l.name, err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(etherType), Ifindex: l.index}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("cannot bind a packet socket to %s: %w", l.name, err)
	}
	return &packetSocket{fd: fd, ifIndex: l.index, etherType: etherType, ifName: l.name}, nil
}

func (s *packetSocket) close() { syscall.Close(s.fd) }

// closeSockets closes all at once: each close of a packet socket waits for an RCU grace period
// in the kernel, so one at a time would add one such wait per probe to the ADD.
func closeSockets(sockets []*packetSocket) {
	var wg sync.WaitGroup
	for _, s := range sockets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close()
		}()
	}
	wg.Wait()
}

// send writes one Ethernet frame (header included) to the interface.
func (s *packetSocket) send(frame []byte) error {
	to := &syscall.SockaddrLinklayer{Protocol: htons(s.etherType), Ifindex: s.ifIndex, Halen: 6}
	copy(to.Addr[:], frame[0:6])
	if err := syscall.Sendto(s.fd, frame, 0, to); err != nil {
		return fmt.Errorf("cannot send on %s: %w", s.ifName, err)
	}
	return nil
}

// receive returns the next frame that arrived from the wire before deadline, or nil at the
// deadline. Frames this host sent (PACKET_OUTGOING: the probe's own and the pod kernel's) are
// skipped: a probe must never take its own frame for an answer.
func (s *packetSocket) receive(buf []byte, deadline time.Time) ([]byte, error) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		// SO_RCVTIMEO of zero means "block for ever"; a microsecond is the least we can ask.
		tv := syscall.NsecToTimeval(max(left.Nanoseconds(), 1000))
		if err := syscall.SetsockoptTimeval(s.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return nil, fmt.Errorf("cannot set a receive timeout on %s: %w", s.ifName, err)
		}
		n, from, err := syscall.Recvfrom(s.fd, buf, 0)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot receive on %s: %w", s.ifName, err)
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		if n < etherHeader {
			continue
		}
		return buf[:n], nil
	}
}

// htons is v in network byte order as the kernel reads a sockaddr_ll field, on any host order.
func htons(v uint16) uint16 { return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v)) }
