package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestResultForConvertsOnlyWhenTheVersionsDiffer(t *testing.T) {
	v1 := `{"cniVersion":"1.0.0","ips":[{"address":"10.6.0.5/16","gateway":"10.6.0.1"},{"address":"fd00::5/64"}],"dns":{}}`
	v04 := `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.6.0.5/16","gateway":"10.6.0.1"},{"version":"6","address":"fd00::5/64"}],"dns":{}}`
	for _, c := range []struct{ netconfVersion, prev, want string }{
		// Same version: byte for byte, whitespace included.
		{"1.0.0", `{ "cniVersion": "1.0.0", "ips": [] }`, `{ "cniVersion": "1.0.0", "ips": [] }`},
		// 1.0.0 and 1.1.0 share the shape: only cniVersion changes.
		{"1.1.0", v1, `{"cniVersion":"1.1.0","ips":[{"address":"10.6.0.5/16","gateway":"10.6.0.1"},{"address":"fd00::5/64"}],"dns":{}}`},
		{"0.4.0", v1, v04},
		{"1.0.0", v04, v1},
		// Without a cniVersion of its own, prevResult is taken to be in the netconf's.
		{"0.3.1", `{"ips":[{"version":"4","address":"10.6.0.5/16"}]}`, `{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.6.0.5/16"}]}`},
	} {
		got, problem := resultFor(&netConf{cniVersion: c.netconfVersion, prevResult: json.RawMessage(c.prev)})
		if problem != nil {
			t.Fatalf("%s from %s: %v", c.netconfVersion, c.prev, problem)
		}
		if c.netconfVersion == "1.0.0" && c.prev[0:2] == "{ " {
			if string(got) != c.want {
				t.Errorf("same version: got %s, want it unchanged", got)
			}
			continue
		}
		var gotValue, wantValue any
		_ = json.Unmarshal(got, &gotValue)
		_ = json.Unmarshal([]byte(c.want), &wantValue)
		if !reflect.DeepEqual(gotValue, wantValue) {
			t.Errorf("%s from %s:\n got %s\nwant %s", c.netconfVersion, c.prev, got, c.want)
		}
	}
}

func TestCheckPlan(t *testing.T) {
	good := planAnswer{Probes: []plannedProbe{{Kind: "gateway", IP: "fd00::1", Family: 6, Source: "fd00::5"}}, TimeoutMs: 200, Retries: 3, DeadlineMs: 5000}
	p, err := checkPlan(&good, "eth0")
	if err != nil || p.ifName != "eth0" || len(p.probes) != 1 || p.probes[0].source.String() != "fd00::5" {
		t.Fatalf("good plan: %+v %v", p, err)
	}
	for name, mutate := range map[string]func(a *planAnswer){
		"timeoutMs 0":                func(a *planAnswer) { a.TimeoutMs = 0 },
		"retries 0":                  func(a *planAnswer) { a.Retries = 0 },
		"deadlineMs too long":        func(a *planAnswer) { a.DeadlineMs = 3_600_000 },
		"unknown kind":               func(a *planAnswer) { a.Probes[0].Kind = "ping" },
		"family mismatch":            func(a *planAnswer) { a.Probes[0].Family = 4 },
		"zone in the address":        func(a *planAnswer) { a.Probes[0].IP = "fe80::1%eth0" },
		"IPv4-mapped as IPv4":        func(a *planAnswer) { a.Probes[0].IP, a.Probes[0].Family, a.Probes[0].Source = "::ffff:10.0.0.1", 4, "" },
		"source of another family":   func(a *planAnswer) { a.Probes[0].Source = "10.0.0.5" },
		"source on a conflict probe": func(a *planAnswer) { a.Probes[0].Kind = "conflict" },
	} {
		bad := good
		bad.Probes = append([]plannedProbe(nil), good.Probes...)
		mutate(&bad)
		if _, err := checkPlan(&bad, "eth0"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
