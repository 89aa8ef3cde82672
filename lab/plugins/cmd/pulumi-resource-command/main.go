// pulumi-resource-command for the lab only: see lab/plugins/command.
package main

import (
	"v6k8s.local/lab/plugins/command"
	"v6k8s.local/lab/plugins/standin"
)

func main() { standin.Main(command.Provider()) }
