// Package offline reports a team's status when no supervisor answers on
// its socket: from config.json, the state file the last owner left and one
// tmux list-panes (Reader, Status). It starts nothing and never links
// tmuxcc, so the status CLI reads a team without a control connection.
package offline
