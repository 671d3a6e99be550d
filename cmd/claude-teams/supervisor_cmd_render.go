package main

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// teamView is one team as the status command shows it.
type teamView struct {
	Status protocol.TeamStatus
	// Mode is the topology the state file records (statefile.ModePrivate,
	// ModeSplit, ModeWindows) or "" when unknown.
	Mode string
	// Socket and Session are where the state file says the team's panes
	// live ("" when unknown): the attach hint names them exactly.
	Socket, Session string
	// Note explains a fallback, e.g. a supervisor that did not answer.
	Note string
}

// renderOptions shape the table.
type renderOptions struct {
	Now        time.Time
	Color      bool   // ANSI colours by state
	TmuxSocket string // the private server's -L name, for the attach hint
}

// statusColumns are the table's columns, in order.
var statusColumns = []string{"NAME", "STATE", "HEALTH", "PANE", "WINDOW", "PID", "UPTIME", "RESTARTS", "EXIT", "LAST-OUTPUT", "UNREAD", "TASKS"}

// stateColumn and healthColumn are the indexes of STATE and HEALTH in
// statusColumns (the coloured ones).
const (
	stateColumn  = 1
	healthColumn = 2
)

// renderTeams writes the people's view of every team: a header line, a
// table of teammates and, for a private tmux server, how to attach.
func renderTeams(w io.Writer, views []teamView, opt renderOptions) {
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(w)
		}
		renderTeam(w, v, opt)
	}
}

func renderTeam(w io.Writer, v teamView, opt renderOptions) {
	st := v.Status
	if st.Supervised {
		fmt.Fprintf(w, "team %s — supervised by pid %d\n", st.Name, st.SupervisorPID)
	} else {
		fmt.Fprintf(w, "team %s — not supervised\n", st.Name)
	}
	if v.Note != "" {
		fmt.Fprintf(w, "  (%s)\n", v.Note)
	}
	if len(st.Teammates) == 0 {
		fmt.Fprintln(w, "  no teammates")
		return
	}
	rows := [][]string{statusColumns}
	for _, ts := range st.Teammates {
		rows = append(rows, teammateRow(ts, opt.Now))
	}
	writeTable(w, rows, func(row, col int, cell string) string {
		if !opt.Color || row == 0 {
			return cell
		}
		switch ts := st.Teammates[row-1]; col {
		case stateColumn:
			return colorize(string(ts.State), cell)
		case healthColumn:
			return colorize(ts.Health, cell)
		}
		return cell
	})
	// Why, in words: the prompt or stall behind a health, a pane refused
	// as not the teammate's.
	for _, ts := range st.Teammates {
		if ts.HealthReason != "" {
			fmt.Fprintf(w, "  %s: %s\n", orDash(ts.Name), oneLine(ts.HealthReason))
		}
	}
	if v.Mode == "" || v.Mode == statefile.ModePrivate {
		session := cmp.Or(v.Session, st.Name)
		switch {
		case v.Socket != "":
			fmt.Fprintf(w, "attach: tmux -S %s attach -t %s\n", displayQuote(v.Socket), session)
		case opt.TmuxSocket != "":
			fmt.Fprintf(w, "attach: tmux -L %s attach -t %s\n", opt.TmuxSocket, session)
		}
	}
}

// teammateRow is one table row; "-" marks what is unknown or not
// applicable.
func teammateRow(ts protocol.TeammateStatus, now time.Time) []string {
	state := orDash(string(ts.State))
	if next, ok := parseStamp(ts.NextRestartAt); ok && next.After(now) {
		state += " (restart in " + shortDuration(next.Sub(now)) + ")"
	}
	uptime := "-"
	if started, ok := parseStamp(ts.StartedAt); ok && ts.Alive {
		uptime = shortDuration(now.Sub(started))
	}
	lastOutput := "-"
	if t, ok := parseStamp(ts.LastOutputAt); ok {
		lastOutput = shortDuration(now.Sub(t)) + " ago"
	}
	exit := "-"
	switch {
	case ts.Signal != "":
		exit = ts.Signal
	case ts.ExitStatus != nil:
		exit = strconv.Itoa(*ts.ExitStatus)
	}
	pid := "-"
	if ts.PID > 0 {
		pid = strconv.Itoa(ts.PID)
	}
	restarts := strconv.Itoa(ts.Restarts)
	if ts.Failures > 0 {
		restarts += fmt.Sprintf(" (%d failed)", ts.Failures)
	}
	tasks := "-"
	if len(ts.Tasks) > 0 {
		tasks = strings.Join(ts.Tasks, ",")
	}
	return []string{orDash(ts.Name), state, orDash(ts.Health), orDash(ts.PaneID), orDash(ts.Window), pid, uptime,
		restarts, exit, lastOutput, strconv.Itoa(ts.Unread), tasks}
}

// oneLine folds a text's line breaks, tabs and other control characters
// into single spaces (a reason may quote a teammate's screen: no escape
// sequence of it reaches the person's terminal) so that it stays one line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseStamp parses a status timestamp; ok is false for "" or garbage.
func parseStamp(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := protocol.ParseTimestamp(s)
	return t, err == nil
}

// shortDuration renders d compactly with at most two units: 45s, 5m3s,
// 2h4m, 3d2h. Negative durations (clock skew) count as 0s.
func shortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// writeTable writes rows as columns separated by two spaces, each padded to
// its widest cell (counted in runes, so colour codes added by decorate do
// not shift the columns). The last column is not padded.
func writeTable(w io.Writer, rows [][]string, decorate func(row, col int, cell string) string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for ri, r := range rows {
		b.Reset()
		for i, c := range r {
			b.WriteString(decorate(ri, i, c))
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
}

// ANSI colours by state.
const (
	ansiReset   = "\x1b[0m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiDim     = "\x1b[2m"
)

// colorize wraps cell in the colour of state: green for working states,
// yellow for transient or worrying ones, magenta when a person is needed,
// red for crashes and failures, dim for finished ones.
func colorize(state, cell string) string {
	var c string
	switch protocol.State(state) {
	case protocol.StateRunning, protocol.StateIdle:
		c = ansiGreen
	case protocol.StateStarting, protocol.StateRestarting, protocol.StateStalled:
		c = ansiYellow
	case protocol.StateNeedsInput:
		c = ansiMagenta
	case protocol.StateCrashed, protocol.StateFailed:
		c = ansiRed
	case protocol.StateExited, protocol.StateStopped:
		c = ansiDim
	default:
		return cell
	}
	return c + cell + ansiReset
}

// displayQuote quotes s for a person to paste into a shell (the attach
// hint); it is printed, never run.
func displayQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
