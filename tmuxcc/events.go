package tmuxcc

import (
	"strings"
	"time"
)

// Event is a notification delivered on Conn.Events: one of the concrete types
// below. %output and %extended-output are not events; they go to PaneOutput.
type Event interface{ isEvent() }

// SessionChanged is %session-changed: our client is now attached to session ID.
type SessionChanged struct{ ID, Name string }

// ClientSessionChanged is %client-session-changed: another client moved to session ID.
type ClientSessionChanged struct{ Client, ID, Name string }

// ClientDetached is %client-detached: another client detached.
type ClientDetached struct{ Client string }

// SessionRenamed is %session-renamed. ID is empty when tmux omits it.
type SessionRenamed struct{ ID, Name string }

// SessionsChanged is %sessions-changed: a session was created or destroyed.
type SessionsChanged struct{}

// SessionWindowChanged is %session-window-changed: the current window of a session changed.
type SessionWindowChanged struct{ Session, Window string }

// WindowAdd is %window-add: a window was linked into the attached session.
type WindowAdd struct{ Window string }

// WindowClose is %window-close: a window of the attached session closed.
type WindowClose struct{ Window string }

// WindowRenamed is %window-renamed for a window of the attached session.
type WindowRenamed struct{ Window, Name string }

// UnlinkedWindowAdd is %unlinked-window-add: a window appeared in another session.
type UnlinkedWindowAdd struct{ Window string }

// UnlinkedWindowClose is %unlinked-window-close. tmux 3.3a also uses it for
// windows of our own session and for unlink-window.
type UnlinkedWindowClose struct{ Window string }

// UnlinkedWindowRenamed is %unlinked-window-renamed.
type UnlinkedWindowRenamed struct{ Window, Name string }

// WindowPaneChanged is %window-pane-changed: the active pane of a window changed.
type WindowPaneChanged struct{ Window, Pane string }

// LayoutChange is %layout-change: panes of a window were added, removed or resized.
type LayoutChange struct{ Window, Layout, VisibleLayout, Flags string }

// PaneModeChanged is %pane-mode-changed: a pane entered or left a mode (copy mode…).
type PaneModeChanged struct{ Pane string }

// SubscriptionChanged is %subscription-changed. Window, Index and Pane are
// "-" for session-level values.
type SubscriptionChanged struct{ Name, Session, Window, Index, Pane, Value string }

// Message is %message (tmux 3.4+): a message tmux showed.
type Message struct{ Text string }

// ConfigError is %config-error (tmux 3.4+): an error in a configuration file.
type ConfigError struct{ Text string }

// PasteBufferChanged is %paste-buffer-changed (tmux 3.4+).
type PasteBufferChanged struct{ Name string }

// PasteBufferDeleted is %paste-buffer-deleted (tmux 3.4+).
type PasteBufferDeleted struct{ Name string }

// Pause is %pause: tmux dropped the output backlog of Pane (pause-after).
// Conn resumes the pane itself; the gap is lost for good.
type Pause struct{ Pane string }

// Continue is %continue: output of Pane resumed.
type Continue struct{ Pane string }

// Exit is %exit: the client is leaving; Reason is empty for a plain detach.
type Exit struct{ Reason string }

// Unknown is a %-notification this package does not know, kept raw.
type Unknown struct{ Line string }

// HookOutput is a line outside any reply block that is not a notification,
// typically output of a hook command run in our client's queue.
type HookOutput struct{ Line string }

// PaneExited reports that the process of a pane watched with WatchPane
// exited. Status is nil when the process was killed by a signal (Signal
// is then set) or when the status could not be learned (Gone panes,
// remain-on-exit off). Source says which mechanism noticed the death:
// "pidfd", "subscription", "window-close", "layout-change" or "query".
type PaneExited struct {
	Pane       string
	PID        int
	Status     *int
	Signal     int
	SignalName string
	DeadAt     time.Time
	Source     string
	Gone       bool // the pane no longer existed when its death was resolved
}

func (SessionChanged) isEvent()        {}
func (ClientSessionChanged) isEvent()  {}
func (ClientDetached) isEvent()        {}
func (SessionRenamed) isEvent()        {}
func (SessionsChanged) isEvent()       {}
func (SessionWindowChanged) isEvent()  {}
func (WindowAdd) isEvent()             {}
func (WindowClose) isEvent()           {}
func (WindowRenamed) isEvent()         {}
func (UnlinkedWindowAdd) isEvent()     {}
func (UnlinkedWindowClose) isEvent()   {}
func (UnlinkedWindowRenamed) isEvent() {}
func (WindowPaneChanged) isEvent()     {}
func (LayoutChange) isEvent()          {}
func (PaneModeChanged) isEvent()       {}
func (SubscriptionChanged) isEvent()   {}
func (Message) isEvent()               {}
func (ConfigError) isEvent()           {}
func (PasteBufferChanged) isEvent()    {}
func (PasteBufferDeleted) isEvent()    {}
func (Pause) isEvent()                 {}
func (Continue) isEvent()              {}
func (Exit) isEvent()                  {}
func (Unknown) isEvent()               {}
func (HookOutput) isEvent()            {}
func (PaneExited) isEvent()            {}

// parseNotification turns one %-line (not %output, not a guard) into an
// Event. name is the first word, rest what follows the first space.
// Malformed lines become Unknown.
func parseNotification(name, rest, line string) Event {
	w := func(n int) ([]string, bool) {
		f := strings.SplitN(rest, " ", n)
		return f, len(f) == n && rest != ""
	}
	one := func() (string, bool) {
		return rest, rest != "" && !strings.Contains(rest, " ")
	}
	switch name {
	case "%session-changed":
		if f, ok := w(2); ok {
			return SessionChanged{ID: f[0], Name: f[1]}
		}
	case "%client-session-changed":
		if f, ok := w(3); ok {
			return ClientSessionChanged{Client: f[0], ID: f[1], Name: f[2]}
		}
	case "%client-detached":
		if rest != "" {
			return ClientDetached{Client: rest}
		}
	case "%session-renamed":
		if f, ok := w(2); ok && strings.HasPrefix(f[0], "$") {
			return SessionRenamed{ID: f[0], Name: f[1]}
		}
		return SessionRenamed{Name: rest}
	case "%sessions-changed":
		if rest == "" {
			return SessionsChanged{}
		}
	case "%session-window-changed":
		if f, ok := w(2); ok {
			return SessionWindowChanged{Session: f[0], Window: f[1]}
		}
	case "%window-add":
		if v, ok := one(); ok {
			return WindowAdd{Window: v}
		}
	case "%window-close":
		if v, ok := one(); ok {
			return WindowClose{Window: v}
		}
	case "%unlinked-window-add":
		if v, ok := one(); ok {
			return UnlinkedWindowAdd{Window: v}
		}
	case "%unlinked-window-close":
		if v, ok := one(); ok {
			return UnlinkedWindowClose{Window: v}
		}
	case "%window-renamed":
		if f, ok := w(2); ok {
			return WindowRenamed{Window: f[0], Name: f[1]}
		}
	case "%unlinked-window-renamed":
		if f, ok := w(2); ok {
			return UnlinkedWindowRenamed{Window: f[0], Name: f[1]}
		}
	case "%window-pane-changed":
		if f, ok := w(2); ok {
			return WindowPaneChanged{Window: f[0], Pane: f[1]}
		}
	case "%layout-change":
		f := strings.SplitN(rest, " ", 4)
		if rest != "" && len(f) >= 2 {
			ev := LayoutChange{Window: f[0], Layout: f[1]}
			if len(f) > 2 {
				ev.VisibleLayout = f[2]
			}
			if len(f) > 3 {
				ev.Flags = f[3]
			}
			return ev
		}
	case "%pane-mode-changed":
		if v, ok := one(); ok {
			return PaneModeChanged{Pane: v}
		}
	case "%subscription-changed":
		// name $S @W idx %P : value
		if f, ok := w(6); ok && (f[5] == ":" || strings.HasPrefix(f[5], ": ")) {
			return SubscriptionChanged{Name: f[0], Session: f[1], Window: f[2], Index: f[3], Pane: f[4],
				Value: strings.TrimPrefix(strings.TrimPrefix(f[5], ":"), " ")}
		}
	case "%message":
		return Message{Text: rest}
	case "%config-error":
		return ConfigError{Text: rest}
	case "%paste-buffer-changed":
		return PasteBufferChanged{Name: rest}
	case "%paste-buffer-deleted":
		return PasteBufferDeleted{Name: rest}
	case "%pause":
		if v, ok := one(); ok {
			return Pause{Pane: v}
		}
	case "%continue":
		if v, ok := one(); ok {
			return Continue{Pane: v}
		}
	case "%exit":
		return Exit{Reason: rest}
	}
	return Unknown{Line: line}
}
