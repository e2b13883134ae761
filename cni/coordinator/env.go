package main

import (
	"os"
	"strings"
)

// callEnv is the CNI environment of one ADD: where to probe and whom to name to the agent.
type callEnv struct {
	containerID, netns, ifName    string
	podNamespace, podName, podUID string
}

// readCallEnv reads CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME (needed to probe at all) and the
// pod's identity from CNI_ARGS (libcni's K8S_POD_* keys; a missing one goes to the agent empty,
// which refuses naming it).
func readCallEnv() (callEnv, *failure) {
	env := callEnv{containerID: os.Getenv("CNI_CONTAINERID"), netns: os.Getenv("CNI_NETNS"), ifName: os.Getenv("CNI_IFNAME")}
	for _, v := range [][2]string{{"CNI_CONTAINERID", env.containerID}, {"CNI_NETNS", env.netns}, {"CNI_IFNAME", env.ifName}} {
		if v[1] == "" {
			return env, fail(codeInvalidEnvironment, v[0], v[0]+" is required for ADD")
		}
	}
	for _, pair := range strings.Split(os.Getenv("CNI_ARGS"), ";") {
		key, value, _ := strings.Cut(pair, "=")
		switch key {
		case "K8S_POD_NAMESPACE":
			env.podNamespace = value
		case "K8S_POD_NAME":
			env.podName = value
		case "K8S_POD_UID":
			env.podUID = value
		}
	}
	return env, nil
}
