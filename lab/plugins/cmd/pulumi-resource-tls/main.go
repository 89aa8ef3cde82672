// pulumi-resource-tls for the lab only: see lab/plugins/tls.
package main

import (
	"v6k8s.local/lab/plugins/standin"
	"v6k8s.local/lab/plugins/tls"
)

func main() { standin.Main(tls.Provider()) }
