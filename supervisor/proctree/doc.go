// Package proctree reads process trees from /proc (Linux; elsewhere only
// a pid is known): who a pane process's descendants and session members
// are, whether a pid is still the same process, and whether it is a child
// of a local tmux server. The supervisor uses it to stop a teammate with
// everything it started, and to signal nothing it did not.
package proctree
