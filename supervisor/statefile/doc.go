// Package statefile is the supervisor's state file, OwnDir(team)/state.json
// (TeamState), and the names of the files in a team's own directory. The
// owner loop writes it on every state change; the status CLI and the next
// owner read it. It may import protocol only.
package statefile
