package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

const (
	planPath   = "/v1/coordinator/plan"
	reportPath = "/v1/coordinator/report"
	// Per call: the agent answers from memory and its own caches; a slower agent is one to retry.
	agentCallTimeout = 10 * time.Second
	maxAnswer        = 1 << 20
	// lib/schemas/agent-api.ts ERROR_CODE_HEADER: the agent's error code beside its message.
	errorCodeHeader = "x-spiderpool-error-code"
)

// agentCniError is the error the agent decided on, printed as it sent it.
type agentCniError struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	Details string `json:"details,omitempty"`
}

// identity names the sandbox to the agent in both calls (the contract's plan/report request).
type identity struct {
	ContainerID  string `json:"containerID"`
	Netns        string `json:"netns"`
	IfName       string `json:"ifName"`
	PodNamespace string `json:"podNamespace"`
	PodName      string `json:"podName"`
	PodUID       string `json:"podUID"`
}

type planRequest struct {
	identity
	Netconf json.RawMessage `json:"netconf"`
}

type reportRequest struct {
	identity
	Findings []finding `json:"findings"`
}

type reportAnswer struct {
	CniError *agentCniError `json:"cniError"`
}

// agentClient talks HTTP over the agent's unix socket, one connection per call.
type agentClient struct {
	socket string
	http   http.Client
}

func newAgentClient(socket string) *agentClient {
	return &agentClient{socket: socket, http: http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
		DisableKeepAlives: true,
	}}}
}

// post sends body to path and decodes a 200 answer into out. Whatever keeps the call from
// producing an answer the contract allows is code 11 naming the socket (the runtime retries);
// an agent that refuses the request (4xx) is code 7 with the agent's message.
func (c *agentClient) post(path string, body, out any) *failure {
	data, err := json.Marshal(body)
	if err != nil {
		return fail(codeTryAgainLater, path, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), agentCallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost"+path, bytes.NewReader(data))
	if err != nil {
		return fail(codeTryAgainLater, path, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return fail(codeTryAgainLater, c.socket, fmt.Sprintf("the spiderpool agent at %s is not available (%s): %v", c.socket, path, err))
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return fail(codeTryAgainLater, c.socket, fmt.Sprintf("reading the answer of the spiderpool agent at %s to %s: %v", c.socket, path, err))
	}
	if res.StatusCode != http.StatusOK {
		return refused(path, res.StatusCode, res.Header.Get(errorCodeHeader), answer)
	}
	dec := json.NewDecoder(bytes.NewReader(answer))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fail(codeTryAgainLater, c.socket, fmt.Sprintf("the spiderpool agent at %s answered %s with something that is not the coordinator contract: %v", c.socket, path, err))
	}
	return nil
}

// refused maps an agent error status: 4xx is the agent refusing this call (7), 5xx the agent
// unable to answer now (11). The text is the agent's: its error body is the message as a JSON
// string with the code in a header (lib/agent/routes.ts failed), or an object {code, message}.
func refused(path string, status int, headerCode string, answer []byte) *failure {
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(answer, &body.Message) != nil {
		_ = json.Unmarshal(answer, &body)
	}
	message := body.Message
	if message == "" {
		message = fmt.Sprintf("HTTP %d from %s", status, path)
	}
	details := headerCode
	if details == "" {
		details = body.Code
	}
	if details == "" {
		details = path
	}
	code := codeTryAgainLater
	if status >= 400 && status < 500 {
		code = codeInvalidNetworkConfig
	}
	return &failure{code: code, msg: message, details: details}
}
