package main

// setns(2) on linux/amd64; the frozen syscall package has no name for it (golang.org/x/sys
// does, but one number is not worth a module download on every fresh clone).
const sysSetns = 308
