module github.com/pepr-spiderpool/cni-shim

go 1.22
