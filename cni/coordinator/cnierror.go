package main

import (
	"bytes"
	"encoding/json"
	"os"
)

// CNI error codes this executable prints for its own (local) failures. They are the plugin's
// names and numbers (lib/cni-plugin/cni-error.ts CNI_ERROR_CODES); every other error text is the agent's,
// printed as it sent it (cni/README.md, "coordinator/").
const (
	codeIncompatibleVersion  = 1   // incompatible_version
	codeInvalidEnvironment   = 4   // invalid_environment
	codeDecodingFailure      = 6   // decoding_failure
	codeInvalidNetworkConfig = 7   // invalid_network_config
	codeTryAgainLater        = 11  // try_again_later: the agent is absent or answered garbage
	codeProbeFailed          = 100 // a probe could not run (netns, interface, socket)
	defaultErrorVersion      = "1.1.0"
	errorPrefix              = "coordinator:"
)

// cniError is a CNI error object with the plugin's key order (lib/cni-plugin/cni-error.ts formatCniError).
type cniError struct {
	CniVersion string `json:"cniVersion"`
	Code       int    `json:"code"`
	Msg        string `json:"msg"`
	Details    string `json:"details,omitempty"`
}

// failure is an error that knows its CNI code; main prints it and exits 1.
type failure struct {
	code    int
	msg     string
	details string
}

func (f *failure) Error() string { return f.msg }

func fail(code int, details, msg string) *failure {
	return &failure{code: code, msg: errorPrefix + " " + msg, details: details}
}

// writeJSON prints one document and a newline without HTML escaping, as JSON.stringify does, so
// the agent's texts arrive byte for byte.
func writeJSON(v any) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	os.Stdout.Write(out.Bytes())
}
