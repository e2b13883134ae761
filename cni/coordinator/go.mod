module github.com/pepr-spiderpool/cni-coordinator

go 1.22
