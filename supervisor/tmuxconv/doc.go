// Package tmuxconv holds our conventions on a tmux server that do not need
// a control connection: the pane options that tag a pane with its agent
// and data root (PaneAgentOption, PaneRootOption, RootHash), the one-shot
// pane listing (ListPanes, Pane) and how a server is named (TmuxServer).
// It runs tmux as a plain command, so the status CLI can use it without
// tmuxcc. It may import protocol only.
package tmuxconv
