package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// CNI versions this executable reads and prints; lib/schemas/cni-netconf.ts SUPPORTED_CNI_VERSIONS.
var supportedVersions = []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

// netConf is what the prober itself needs from stdin: the version to print in and prevResult to
// print. Everything else (the coordinator options) is the agent's to validate, so the whole
// object travels to it as received (raw).
type netConf struct {
	raw        json.RawMessage
	cniVersion string
	prevResult json.RawMessage
}

// parseNetConf checks only what printing needs. A chained plugin without a usable prevResult
// cannot hand the main plugin's result on, so that is a local failure, not the agent's to judge.
func parseNetConf(stdin []byte) (*netConf, *failure) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(stdin, &fields); err != nil || fields == nil {
		return nil, fail(codeDecodingFailure, "stdin", "the network configuration on stdin is not a JSON object")
	}
	conf := &netConf{raw: json.RawMessage(stdin)}
	if err := json.Unmarshal(fields["cniVersion"], &conf.cniVersion); err != nil || !slices.Contains(supportedVersions, conf.cniVersion) {
		return nil, fail(codeIncompatibleVersion, "cniVersion", fmt.Sprintf("cniVersion: expected one of %s, got %s", strings.Join(supportedVersions, ", "), shown(fields["cniVersion"])))
	}
	prev := bytes.TrimSpace(fields["prevResult"])
	if len(prev) == 0 || prev[0] != '{' {
		return nil, fail(codeInvalidNetworkConfig, "prevResult", fmt.Sprintf("prevResult: expected the main plugin's result object (coordinator must be chained after it), got %s", shown(prev)))
	}
	conf.prevResult = prev
	return conf, nil
}

// prevIP is one entry of prevResult.ips as far as version conversion needs it.
type prevIP map[string]json.RawMessage

// resultFor prints prevResult in the netconf's cniVersion. The runtime normally hands it over in
// that version already, and then it goes out byte for byte apart from cniVersion; only between
// 0.x and 1.x does the shape differ (ips[].version exists only before 1.0.0).
func resultFor(conf *netConf) (json.RawMessage, *failure) {
	var result map[string]json.RawMessage
	if err := json.Unmarshal(conf.prevResult, &result); err != nil {
		return nil, fail(codeInvalidNetworkConfig, "prevResult", "prevResult: "+err.Error())
	}
	var from string
	if v, ok := result["cniVersion"]; ok {
		if err := json.Unmarshal(v, &from); err != nil || !slices.Contains(supportedVersions, from) {
			return nil, fail(codeInvalidNetworkConfig, "prevResult.cniVersion", fmt.Sprintf("prevResult.cniVersion: expected one of %s, got %s", strings.Join(supportedVersions, ", "), shown(v)))
		}
	}
	if from == conf.cniVersion {
		return conf.prevResult, nil
	}
	version, _ := json.Marshal(conf.cniVersion)
	result["cniVersion"] = version
	if from != "" && legacy(from) != legacy(conf.cniVersion) {
		ips, problem := convertIPs(result["ips"], legacy(conf.cniVersion))
		if problem != nil {
			return nil, problem
		}
		if ips != nil {
			result["ips"] = ips
		}
	}
	out, err := json.Marshal(result)
	if err != nil {
		return nil, fail(codeInvalidNetworkConfig, "prevResult", "prevResult: "+err.Error())
	}
	return out, nil
}

func legacy(version string) bool { return strings.HasPrefix(version, "0.") }

// convertIPs adds (toLegacy) or drops ips[].version, reading the family from the address.
func convertIPs(raw json.RawMessage, toLegacy bool) (json.RawMessage, *failure) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var ips []prevIP
	if err := json.Unmarshal(raw, &ips); err != nil {
		return nil, fail(codeInvalidNetworkConfig, "prevResult.ips", "prevResult.ips: expected a list of objects, got "+shown(raw))
	}
	for i, ip := range ips {
		if !toLegacy {
			delete(ip, "version")
			continue
		}
		var address string
		_ = json.Unmarshal(ip["address"], &address)
		prefix, err := netip.ParsePrefix(address)
		if err != nil {
			return nil, fail(codeInvalidNetworkConfig, fmt.Sprintf("prevResult.ips[%d].address", i), fmt.Sprintf("prevResult.ips[%d].address: expected an address/prefix, got %s", i, shown(ip["address"])))
		}
		family := `"4"`
		if prefix.Addr().Is6() && !prefix.Addr().Is4In6() {
			family = `"6"`
		}
		ip["version"] = json.RawMessage(family)
	}
	out, err := json.Marshal(ips)
	if err != nil {
		return nil, fail(codeInvalidNetworkConfig, "prevResult.ips", "prevResult.ips: "+err.Error())
	}
	return out, nil
}

// shown quotes a raw JSON value for an error text, cut so garbage cannot flood the runtime's event.
func shown(raw json.RawMessage) string {
	text := string(bytes.TrimSpace(raw))
	if text == "" {
		return "nothing"
	}
	if len(text) > 120 {
		text = text[:120] + "…"
	}
	return text
}
