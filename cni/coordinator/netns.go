package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// inNetns runs fn on an OS thread that has joined the network namespace at path, and throws that
// thread away afterwards: the goroutine exits still locked, so the Go runtime ends the thread
// instead of handing a thread in the pod's namespace to other goroutines. Sockets fn opens stay
// in that namespace wherever they are used later.
func inNetns(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: see above.
		file, err := os.Open(path)
		if err != nil {
			done <- fmt.Errorf("cannot open network namespace %s: %w", path, err)
			return
		}
		defer file.Close()
		if _, _, errno := syscall.RawSyscall(sysSetns, file.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
			done <- fmt.Errorf("cannot enter network namespace %s: setns: %w", path, errno)
			return
		}
		done <- fn()
	}()
	return <-done
}
