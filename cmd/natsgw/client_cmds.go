package main

import "github.com/spf13/cobra"

// addClientCommands adds the client commands (pub, sub, req, reply, health,
// version, ...).
func addClientCommands(root *cobra.Command, g *globals) {
	root.AddCommand(newTokenCmd(g))
}
