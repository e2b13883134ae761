package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

const (
	// The node-level file beside the plugin executables; lib/cni-plugin/host-dirs.ts HOST_CONFIG_FILE
	// (docs/adr/0007-node-plugin-dirs.md). The exec shim (cni/shim/main.go) reads it the same way.
	hostConfigFile = "spiderpool-host.json"
	defaultRunDir  = "/var/run/spidernet"
	socketName     = "spiderpool.sock"
)

// agentSocket is spiderpool.sock in the node's run directory, read from hostConfigFile beside
// this executable (absent file: the default directory). No netconf field can choose the socket:
// the node's installer, not a NetworkAttachmentDefinition, decides where the prober connects.
func agentSocket() (string, *failure) {
	self, err := os.Executable()
	if err != nil {
		return "", fail(codeTryAgainLater, hostConfigFile, "cannot find this executable's directory: "+err.Error())
	}
	file := filepath.Join(filepath.Dir(self), hostConfigFile)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return filepath.Join(defaultRunDir, socketName), nil
	}
	if err != nil {
		return "", fail(codeTryAgainLater, file, "cannot read "+file+": "+err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var read struct {
		LogDir *string `json:"logDir"`
		RunDir *string `json:"runDir"`
	}
	if err := dec.Decode(&read); err != nil {
		return "", fail(codeTryAgainLater, file, file+" is not the installer's JSON: "+err.Error())
	}
	if read.RunDir == nil {
		return filepath.Join(defaultRunDir, socketName), nil
	}
	if !filepath.IsAbs(*read.RunDir) {
		return "", fail(codeTryAgainLater, file, file+": runDir must be an absolute path, got "+*read.RunDir)
	}
	return filepath.Join(filepath.Clean(*read.RunDir), socketName), nil
}
