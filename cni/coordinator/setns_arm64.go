package main

// setns(2) on linux/arm64 (the generic syscall table); see setns_amd64.go.
const sysSetns = 268
