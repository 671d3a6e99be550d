// Package layout owns where a team's teammate panes sit in a person's own
// tmux, beside the lead (the default split mode): the lead keeps its place
// at full height with a share of its window's width (Config.LeadShare,
// 30 % like Claude Code's own backend), its teammates share the rest,
// stacked in one column (tmux's main-vertical) and in more columns once a
// column is full at the readable minimum (Config.MinWidth × MinHeight,
// 39 × 10 cells). A teammate that does not fit goes into an overflow window
// of the lead's session named "<team>-2", "<team>-3", … laid out the same
// way, so a spawn never fails for lack of room.
//
// Every teammate pane is titled with its name (select-pane -T) and shows
// it, bold in its colour, in its border (pane-border-status top on its
// window): Decorate does that in every mode, USE_TMUX_WINDOWS and the
// private server included.
//
// The package decides and issues layout commands only; it never creates a
// process. The caller (the supervisor's owner loop, the only goroutine that
// uses a Layout) asks for a Slot, creates the pane there itself (it keeps
// the pane's output from the first byte and sets its options), and reports
// it with Add; Remove once a pane is killed; ReplaceSlot and Replace for a
// restart in place (the new pane is made out of sight and swapped into the
// dead pane's cell, which is then killed: one pane per teammate, no extra
// room); Teardown at the end. Layouts are custom layout strings built for
// the window's current size (geometry in grid.go, pure), so only the
// lead's window and our overflow windows change: no other window or pane
// of the person's is resized. A window that holds a pane that is neither
// the lead's nor a teammate's is never laid out again.
//
// The lead's window's own options are recorded in window user options
// (@claude-teams-saved-…) before the first change, so Teardown — by this
// owner or a later one — gives them back.
//
// It knows nothing of teams' files, agents or processes. It may import
// tmuxcc and nothing else of ours (deps_test.go); it needs none: its
// Commander and Liner are what a *tmuxcc.Conn provides.
package layout
