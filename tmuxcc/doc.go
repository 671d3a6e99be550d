// Package tmuxcc owns one persistent tmux control-mode connection (tmux -CC
// under a pty, or plain -C over pipes). It turns tmux's control protocol into
// typed Go values and runs tmux commands over the same connection.
//
// It knows nothing of teams or agents and imports no package of ours.
//
// # Shape
//
// Dial starts the tmux client (with Pdeathsig, so it dies with us), waits
// until tmux has attached it (first %end of the attach command and
// %session-changed), sets the client flag pause-after, takes its tag out of
// the server's global environment and kills stale control clients an
// earlier process of ours left behind (Config.Tag).
//
// One goroutine (readLoop) reads everything tmux sends and never blocks on
// anyone:
//
//   - reply blocks complete the oldest pending command (tmux answers in the
//     order commands were written; a command is written and queued under one
//     lock); blocks with flags 0 (the attach command, hooks) are skipped;
//   - %output and %extended-output go to per-pane rings (WatchOutput,
//     CreatePane) that drop their oldest bytes and count them;
//   - every other notification goes to an unbounded queue read through
//     Events, so lifecycle events are never dropped;
//   - %pause is answered with refresh-client -A '%N:continue' from another
//     goroutine.
//
// The parser (parser.go) is pure: bytes in, items out. It accepts the -CC
// framing (DCS prefix, CRLF, ESC \ terminator, tty echo of early input) and
// plain -C lines, lines of any length, and treats every line inside a block
// as payload until the %end/%error with the same time, number and flags.
//
// # Commands
//
// Command quotes every argument (Quote) so no value can start a second
// command; values with newlines travel in double quotes with escapes.
// Command names must be plain words (NAME=value there would be an
// assignment that gets no reply). Quoting does not stop format expansion:
// user text that reaches -F, -c, new-window -n or display-message needs
// every '#' doubled. A
// failure reported by tmux is a *CommandError; the end of the connection is
// an error wrapping ErrClosed and the cause (an *ExitError for %exit).
// CommandLine sends "a ; b" on one line: tmux runs it without anything in
// between. Never send blocking commands (run-shell or if-shell without -b,
// wait-for, confirm-before, command-prompt) nor refresh-client -C.
//
// Creating a pane with remain-on-exit set before its process can exit, and
// its output kept from the first byte (set-option -w without -t would hit
// the session's current window, not a window made with -d):
//
//	end := session + ":{end}"
//	blocks, out, err := conn.CreatePane(ctx, 1<<20,
//		[]string{"new-window", "-d", "-a", "-t", end, "-P", "-F", "#{pane_id} #{pane_pid}",
//			"-c", cwd, "-e", "K=V", "--", argv0, argv1},
//		[]string{"set-option", "-w", "-t", end, "remain-on-exit", "on"})
//
// For a split, target the new pane by index: it comes right after the
// split pane, so with "#{window_id} #{pane_index}" of the target read first,
// use set-option -p -t '@W.(index+1)' on the same line.
//
// # Pane death
//
// WatchPane(pane, pid) emits exactly one PaneExited per pane on Events. A
// pidfd on the pane's process (local server, same pid namespace, checked to
// be a child of the tmux server) wakes us when the process exits, even if
// tmux never reaps it; the status or signal is then read from tmux
// (#{pane_dead_status}, #{pane_dead_signal}). When tmux 3.3a lost the
// SIGCHLD the pane stays dead without a status: `run-shell -b true` makes
// tmux reap its children, and the status is read again. Without a pidfd a
// %* subscription (1 s timer) and window-close/layout-change events notice
// the death; they only see panes of the attached session (link other
// windows in). Nothing of this shows on the screen of a person attached to
// the same server.
//
// A pane is reported Gone only on positive evidence: tmux's own
// "can't find pane: %N" for it, or its absence from a successful
// list-panes -a. Any other error or odd reply is asked again (pausing up
// to 1 s) for as long as the watch lasts: a live pane is never reported
// exited. When the connection ends, every watch ends silently — no
// PaneExited for panes whose fate is unknown; the owner learns of the end
// from Done/Err, redials, and watches its panes again (WatchPane on the new
// Conn looks at each pane at once, so deaths meanwhile are reported then).
//
// # Lifecycle
//
// Done is closed and Err says why when tmux exits (%exit with its reason,
// server killed, session gone) or the client's output ends. Every waiting
// command fails with that cause. Close detaches, kills the client if it
// lingers and waits for every goroutine; it is idempotent. Reconnecting is
// a new Dial (with the same Tag).
package tmuxcc
