package main

import (
	"encoding/json"
	"os"
	"testing"
)

// The table lib/cni-plugin/netconf.spec.ts checks the plugin against: both must accept and refuse the same
// timeouts with the same text.
type timeoutCase struct {
	Input      string `json:"input"`
	Seconds    int    `json:"seconds"`
	Error      string `json:"error"`
	NotANumber bool   `json:"notANumber"`
}

func TestTimeoutOfMatchesTheSharedTable(t *testing.T) {
	data, err := os.ReadFile("testdata/timeout-seconds.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []timeoutCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 10 {
		t.Fatalf("only %d cases in the table", len(table.Cases))
	}
	for _, c := range table.Cases {
		// Through the same decoding main does, so the raw text is what reaches timeoutOf.
		var conf netConf
		stdin := `{"cniVersion":"1.0.0","name":"n","ipam":{"type":"spiderpool","timeout_seconds":` + c.Input + `}}`
		if err := json.Unmarshal([]byte(stdin), &conf); err != nil {
			t.Fatalf("%s: %v", c.Input, err)
		}
		seconds, problem := timeoutOf(conf.IPAM.Timeout)
		if seconds != c.Seconds || problem != c.Error {
			t.Errorf("timeout_seconds %s: got (%d, %q), want (%d, %q)", c.Input, seconds, problem, c.Seconds, c.Error)
		}
	}
}

func TestTimeoutOfAbsent(t *testing.T) {
	if seconds, problem := timeoutOf(nil); seconds != 0 || problem != "" {
		t.Errorf("absent: got (%d, %q)", seconds, problem)
	}
}

func TestBelow(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		want      bool
	}{
		{"/var/run/spidernet/spiderpool.sock", "/var/run/spidernet", true},
		{"/var/run/spidernet/a/b.sock", "/var/run/spidernet", true},
		{"/var/run/spidernet", "/var/run/spidernet", false},
		{"/var/run/spidernet-other/x.sock", "/var/run/spidernet", false},
		{"/var/run/docker.sock", "/var/run/spidernet", false},
		{"/var/run/..x/y", "/var/run", true},
	} {
		if got := below(c.path, c.dir); got != c.want {
			t.Errorf("below(%q, %q) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}
