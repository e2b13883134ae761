package main

import (
	"fmt"
	"testing"
	"time"
)

// The cost a probing ADD adds: with no conflict every conflict probe waits out all its attempts,
// so the floor is retries × timeout; the benchmarks report what comes on top ("overhead-ms").
// Run: go test -run '^$' -bench . -benchtime 10x (as root).

var benchSettings = []struct {
	timeout time.Duration
	retries int
}{{100 * time.Millisecond, 3}, {200 * time.Millisecond, 3}}

func BenchmarkConflictProbeNoConflict(b *testing.B) {
	requireRoot(b)
	tb := newTestbed(b)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("fd00:251::5/64")
	for _, s := range benchSettings {
		for _, c := range []struct {
			name   string
			probes []probe
		}{
			{"IPv4", []probe{conflictProbe("10.251.0.5")}},
			{"IPv6", []probe{conflictProbe("fd00:251::5")}},
			{"dual-stack", []probe{conflictProbe("10.251.0.5"), conflictProbe("fd00:251::5")}},
		} {
			b.Run(fmt.Sprintf("%s/timeout=%s,retries=%d", c.name, s.timeout, s.retries), func(b *testing.B) {
				p := &plan{probes: c.probes, ifName: podIf, timeout: s.timeout, retries: s.retries, deadline: 10 * time.Second}
				started := time.Now()
				for i := 0; i < b.N; i++ {
					findings, err := runProbes(tb.podNetns, p)
					if err != nil || len(findings) != 0 {
						b.Fatal(findings, err)
					}
				}
				perOp := time.Since(started) / time.Duration(b.N)
				b.ReportMetric(float64(perOp.Microseconds())/1000, "ms/probe-set")
				b.ReportMetric(float64((perOp-time.Duration(s.retries)*s.timeout).Microseconds())/1000, "overhead-ms")
			})
		}
	}
}

func BenchmarkGatewayProbePresent(b *testing.B) {
	requireRoot(b)
	tb := newTestbed(b)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("fd00:251::5/64")
	tb.peerAddr("10.251.0.1/24")
	tb.peerAddr("fd00:251::1/64")
	for _, c := range []struct{ name, gateway, source string }{{"IPv4", "10.251.0.1", "10.251.0.5"}, {"IPv6", "fd00:251::1", "fd00:251::5"}} {
		b.Run(c.name, func(b *testing.B) {
			p := &plan{probes: []probe{gatewayProbe(c.gateway, c.source)}, ifName: podIf, timeout: 100 * time.Millisecond, retries: 3, deadline: 10 * time.Second}
			started := time.Now()
			for i := 0; i < b.N; i++ {
				findings, err := runProbes(tb.podNetns, p)
				if err != nil || len(findings) != 0 {
					b.Fatal(findings, err)
				}
			}
			b.ReportMetric(float64((time.Since(started)/time.Duration(b.N)).Microseconds())/1000, "ms/probe")
		})
	}
}

// What the runtime waits for: exec of the built executable to its exit, with the plan call to a
// fake agent, the probes and printing prevResult. "nothing planned" is the floor of a network
// with coordinator but detection off.
func BenchmarkExecutableADD(b *testing.B) {
	requireRoot(b)
	tb := newTestbed(b)
	tb.podAddr("10.251.0.5/24")
	tb.podAddr("fd00:251::5/64")
	tb.peerAddr("10.251.0.1/24")
	dir := b.TempDir()
	exe := install(b, dir)
	agent := startFakeAgent(b, dir)
	gateway := map[string]any{"kind": "gateway", "ip": "10.251.0.1", "family": 4, "source": "10.251.0.5"}
	for _, c := range []struct {
		name   string
		probes []any
	}{
		{"nothing planned", []any{}},
		{"IPv4 gateway present", []any{gateway}},
		{"dual-stack no conflict + IPv4 gateway", []any{
			map[string]any{"kind": "conflict", "ip": "10.251.0.5", "family": 4},
			map[string]any{"kind": "conflict", "ip": "fd00:251::5", "family": 6}, gateway}},
	} {
		b.Run(c.name+"/timeout=100ms,retries=3", func(b *testing.B) {
			agent.plan = func() (int, any) {
				return 200, map[string]any{"probes": c.probes, "ifName": podIf, "timeoutMs": 100, "retries": 3, "deadlineMs": 5000}
			}
			started := time.Now()
			for i := 0; i < b.N; i++ {
				if r := runPlugin(b, exe, "ADD", tb.podNetns, netconfWith(prevResult)); r.code != 0 {
					b.Fatalf("%+v", r)
				}
			}
			b.ReportMetric(float64((time.Since(started)/time.Duration(b.N)).Microseconds())/1000, "ms/ADD")
		})
	}
}
