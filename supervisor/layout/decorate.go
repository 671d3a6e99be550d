package layout

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// colours maps Claude Code's teammate colours to tmux's (Claude Code's
// own tmux backend uses the same map).
var colours = map[string]string{
	"red": "red", "blue": "blue", "green": "green", "yellow": "yellow", "cyan": "cyan",
	"purple": "magenta", "orange": "colour208", "pink": "colour205",
}

// TmuxColour is the tmux colour of a Claude Code colour name, "" for an
// unknown one (never passed to tmux: it would be parsed as a style).
func TmuxColour(c string) string { return colours[strings.ToLower(strings.TrimSpace(c))] }

// BorderFormat is a teammate pane's pane-border-format: its name, bold, in
// its colour. The name is literal (an agent that sets its own pane title
// does not rename its border).
func BorderFormat(name, colour string) string {
	style := "bold"
	if c := TmuxColour(colour); c != "" {
		style = "fg=" + c + ",bold"
	}
	return "#[" + style + "] " + escape(name) + " #[default]"
}

// savedPrefix prefixes the window user option that records a window
// option's own value before we first changed it ("-": it had none).
const savedPrefix = "@claude-teams-saved-"

// windowOptions are the window options a layout sets on the lead's window.
var windowOptions = []string{"pane-border-status"}

// Decorate titles a teammate's pane with its name (select-pane -T), gives
// it a border format in its colour and turns pane borders with titles on
// for its window. It serves every mode: split, USE_TMUX_WINDOWS and the
// private server's windows. m.Window is looked up when empty.
func Decorate(ctx context.Context, c Commander, m Mate) error {
	if err := checkName("teammate", m.Name); err != nil {
		return err
	}
	if !isPaneID(m.Pane) {
		return fmt.Errorf("layout: teammate %s: pane %q is not a tmux pane id", m.Name, m.Pane)
	}
	w := m.Window
	if w == "" {
		out, err := c.Command(ctx, "display-message", "-p", "-t", m.Pane, "#{window_id}")
		if err != nil || len(out) == 0 {
			return fmt.Errorf("layout: find %s's pane %s: %w", m.Name, m.Pane, orNoReply(err))
		}
		w = strings.TrimSpace(out[0])
	}
	m.Window = w
	if err := runAll(ctx, c, decoration(m)...); err != nil {
		return fmt.Errorf("layout: title %s's pane %s: %w", m.Name, m.Pane, err)
	}
	return nil
}

// decoration are the commands that title m's pane and window.
func decoration(m Mate) [][]string {
	return [][]string{
		// -T is expanded as a format in tmux 3.3a: escape '#'.
		{"select-pane", "-t", m.Pane, "-T", escape(m.Name)},
		{"set-option", "-p", "-t", m.Pane, "pane-border-format", BorderFormat(m.Name, m.Color)},
		{"set-option", "-w", "-t", m.Window, "pane-border-status", "top"},
	}
}

// decorate saves the lead window's options (first time only) and returns
// the commands that title m.
func (l *Layout) decorate(ctx context.Context, m Mate) ([][]string, error) {
	if m.Window == l.leadWindow {
		if err := saveWindow(ctx, l.c, m.Window); err != nil {
			return nil, err
		}
	}
	return decoration(m), nil
}

// saveWindow records, in window user options of w, the value each of
// windowOptions has of its own before we change it, unless recorded
// already (by us, or by an earlier owner of the team: the record lives in
// tmux, so any later owner can restore it).
func saveWindow(ctx context.Context, c Commander, w string) error {
	for _, opt := range windowOptions {
		rec, err := c.Command(ctx, "show-options", "-w", "-q", "-v", "-t", w, savedPrefix+opt)
		if err != nil {
			return fmt.Errorf("layout: read %s of %s: %w", savedPrefix+opt, w, err)
		}
		if len(rec) > 0 && rec[0] != "" {
			continue
		}
		cur, err := c.Command(ctx, "show-options", "-w", "-q", "-v", "-t", w, opt)
		if err != nil {
			return fmt.Errorf("layout: read %s of %s: %w", opt, w, err)
		}
		val := "-"
		if len(cur) > 0 && cur[0] != "" {
			val = "=" + cur[0]
		}
		if _, err := c.Command(ctx, "set-option", "-w", "-t", w, savedPrefix+opt, val); err != nil {
			return fmt.Errorf("layout: record %s of %s: %w", opt, w, err)
		}
	}
	return nil
}

// restoreWindow gives window w back the options saveWindow recorded and
// removes the records. Options without a record are not touched.
func restoreWindow(ctx context.Context, c Commander, w string) error {
	for _, opt := range windowOptions {
		rec, err := c.Command(ctx, "show-options", "-w", "-q", "-v", "-t", w, savedPrefix+opt)
		if err != nil {
			return fmt.Errorf("layout: read %s of %s: %w", savedPrefix+opt, w, err)
		}
		if len(rec) == 0 || rec[0] == "" {
			continue
		}
		set := []string{"set-option", "-w", "-u", "-t", w, opt}
		if v, ok := strings.CutPrefix(rec[0], "="); ok {
			set = []string{"set-option", "-w", "-t", w, opt, v}
		}
		if _, err := c.Command(ctx, set...); err != nil {
			return fmt.Errorf("layout: restore %s of %s: %w", opt, w, err)
		}
		if _, err := c.Command(ctx, "set-option", "-w", "-u", "-t", w, savedPrefix+opt); err != nil {
			return fmt.Errorf("layout: drop the record of %s of %s: %w", opt, w, err)
		}
	}
	return nil
}

// escape protects text that tmux expands as a format: "##" is a literal '#'.
func escape(s string) string { return strings.ReplaceAll(s, "#", "##") }

// checkName refuses names that could not be shown safely: empty, longer
// than 64 bytes, or holding control or space characters.
func checkName(kind, s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("layout: %s name %q: must be 1 to 64 bytes", kind, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("layout: %s name %q: holds %q; names are printable, without spaces", kind, s, r)
		}
	}
	return nil
}
