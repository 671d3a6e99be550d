package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// leadMaxSummary bounds a summary: the lead's client shows it as a preview.
const leadMaxSummary = 200

// leadSummary is the one-line, read-at-a-glance account of an event, e.g.
// "w1 crashed (exit 3), restarting in 2s".
func leadSummary(ev LeadEvent) string {
	a := ev.Agent
	var s string
	switch ev.Kind {
	case LeadCrashed, LeadExited:
		verb := "crashed"
		if ev.Kind == LeadExited {
			verb = "exited"
		}
		s = fmt.Sprintf("%s %s (%s)", a, verb, leadExitPhrase(ev))
		switch {
		case ev.WillRestart:
			s += ", restarting in " + leadDuration(ev.RestartIn)
		case ev.Kind == LeadCrashed && ev.Policy != "":
			s += fmt.Sprintf(", not restarting (restart policy %s)", ev.Policy)
		}
	case LeadRestarted:
		s = fmt.Sprintf("%s restarted (restart %d)", a, ev.Restarts)
		if ev.FreshStart != "" {
			s += " with a new conversation: the old one could not be resumed"
		}
	case LeadFailed:
		s = fmt.Sprintf("%s failed: %d failed runs, last %s; not restarting", a, ev.Failures, leadExitPhrase(ev))
	case LeadStalled:
		s = fmt.Sprintf("%s stalled: no output for %s%s", a, leadDuration(ev.Quiet), leadWorkPhrase(ev))
	case LeadNeedsInput:
		s = fmt.Sprintf("%s needs input: %s", a, leadOr(ev.Prompt, "a prompt on its screen"))
	case LeadRecovered:
		s = a + " recovered"
		if unreachable(ev.WasPrompt) {
			s = a + " stopped retrying (was " + ev.WasPrompt + ")"
			break
		}
		if ev.Was != "" {
			s += " (was " + strings.ReplaceAll(string(ev.Was), "_", " ") + ")"
		}
	default:
		s = fmt.Sprintf("%s %s", a, ev.Kind)
	}
	return leadCut(s, leadMaxSummary)
}

// eventBody is the message text: the summary, the facts, a hint, and the
// last lines of output.
func (n *LeadNotifier) eventBody(ev LeadEvent) string {
	var b strings.Builder
	b.WriteString(leadSummary(ev))
	b.WriteString(".\n")
	facts := leadFacts(ev)
	if len(facts) > 0 {
		b.WriteByte('\n')
		for _, f := range facts {
			b.WriteString(f)
			b.WriteByte('\n')
		}
	}
	if h := leadHint(ev); h != "" {
		b.WriteByte('\n')
		b.WriteString(h)
		b.WriteByte('\n')
	}
	if out := leadTail(ev.LastLines, n.cfg.LastLines); out != "" {
		b.WriteString("\nlast output:\n")
		for _, l := range strings.Split(out, "\n") {
			b.WriteString("    ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// leadFacts lists "name: value" lines for the kind.
func leadFacts(ev LeadEvent) []string {
	var f []string
	add := func(k, v string) { f = append(f, k+": "+v) }
	switch ev.Kind {
	case LeadCrashed, LeadExited, LeadFailed:
		if ev.Signal != "" {
			add("signal", ev.Signal)
		} else if ev.ExitStatus != nil && *ev.ExitStatus >= 0 {
			add("exit status", strconv.Itoa(*ev.ExitStatus))
		} else {
			add("exit status", "unknown")
		}
		if ev.Ran > 0 {
			add("ran for", leadDuration(ev.Ran))
		}
		add("restarts so far", strconv.Itoa(ev.Restarts))
		if ev.Failures > 0 {
			add("recent failed runs", strconv.Itoa(ev.Failures))
		}
		if ev.Policy != "" {
			add("restart policy", string(ev.Policy))
		}
		if ev.WillRestart {
			add("next restart", fmt.Sprintf("in %s (%s)", leadDuration(ev.RestartIn),
				ev.At.Add(ev.RestartIn).Round(time.Second).UTC().Format(time.RFC3339)))
		}
	case LeadRestarted:
		add("restarts so far", strconv.Itoa(ev.Restarts))
		if ev.FreshStart != "" {
			add("conversation", "could not be resumed: "+ev.FreshStart+"; started fresh")
		}
	case LeadStalled:
		add("no output for", leadDuration(ev.Quiet))
	case LeadNeedsInput:
		add("screen shows", leadOr(ev.Prompt, "a prompt"))
	}
	if ev.RestartError != "" {
		add("restart failed", ev.RestartError)
	}
	if ev.PaneID != "" {
		add("pane", ev.PaneID)
	}
	if ev.Kind == LeadStalled || ev.Kind == LeadNeedsInput {
		if ev.Attach != "" {
			add("attach", ev.Attach)
		}
		if ev.Target != "" {
			add("tmux target", ev.Target)
		}
	}
	if len(ev.Tasks) > 0 {
		add("tasks in progress", strings.Join(ev.Tasks, ", "))
	}
	if ev.Unread > 0 {
		add("unread messages", strconv.Itoa(ev.Unread))
	}
	return f
}

// leadHint says what the lead can do about it.
func leadHint(ev LeadEvent) string {
	switch ev.Kind {
	case LeadCrashed:
		if !ev.WillRestart {
			return "It stays down: restart it with restart_teammate, or spawn a replacement."
		}
	case LeadFailed:
		return "It stays down. Fix the cause, then restart it with restart_teammate."
	case LeadStalled:
		return "check_teammate shows its screen; send it a message, or restart it with restart_teammate."
	case LeadNeedsInput:
		if fix := DialogAdvice(ev.Backend, ev.Prompt); fix != "" {
			return fix
		}
		return "Its screen waits for an answer to a dialog, which a message cannot give: attach to its pane " +
			"and answer there, or restart it with restart_teammate."
	case LeadRecovered:
		if unreachable(ev.WasPrompt) {
			return "Its provider either answered at last or the CLI gave up and waits at its prompt with the " +
				"error on screen (check_teammate shows which). If it does not go on, send it a message: that " +
				"makes it try again."
		}
	case LeadRestarted:
		if ev.Resumed {
			return "It resumed its conversation; its inbox has a short note about the restart."
		}
		return "Its inbox has a note about the restart and its original assignment."
	}
	return ""
}

// coalesce makes one message of events held back by the rate limit.
func (n *LeadNotifier) coalesce(evs []LeadEvent, now time.Time) LeadMessage {
	var agents []string
	latest := map[string]LeadEvent{}
	for _, ev := range evs {
		if _, ok := latest[ev.Agent]; !ok {
			agents = append(agents, ev.Agent)
		}
		latest[ev.Agent] = ev
	}
	from := n.cfg.SummaryFrom
	if len(agents) == 1 {
		from = agents[0]
	}
	var short []string
	for _, a := range agents {
		short = append(short, leadShort(latest[a]))
	}
	summary := leadCut(fmt.Sprintf("%d updates: %s", len(evs), strings.Join(short, ", ")), leadMaxSummary)

	var b strings.Builder
	fmt.Fprintf(&b, "%d events held back by the notification rate limit (%d at once, then one per %s):\n\n",
		len(evs), n.cfg.Burst, leadDuration(n.cfg.Every))
	for i, ev := range evs {
		if i == n.cfg.MaxListed {
			fmt.Fprintf(&b, "… and %d more\n", len(evs)-i)
			break
		}
		fmt.Fprintf(&b, "%s  %s\n", ev.At.UTC().Format("15:04:05"), leadSummary(ev))
	}
	for _, a := range agents {
		b.WriteString("\nlatest for ")
		b.WriteString(a)
		b.WriteString(":\n")
		b.WriteString(n.eventBody(latest[a]))
		b.WriteByte('\n')
	}
	return LeadMessage{From: from, Summary: summary, Text: strings.TrimRight(b.String(), "\n"), At: now, Events: len(evs)}
}

// leadShort is an event in a few words, for the summary of a coalesced
// message: "w1 failed (exit 2)", "w3 stalled".
func leadShort(ev LeadEvent) string {
	s := ev.Agent + " " + strings.ReplaceAll(string(ev.Kind), "_", " ")
	switch ev.Kind {
	case LeadCrashed, LeadExited, LeadFailed:
		s += " (" + leadExitPhrase(ev) + ")"
	case LeadRestarted:
		s += " (restart " + strconv.Itoa(ev.Restarts) + ")"
	}
	return s
}

// leadExitPhrase is "exit 3", "signal SIGSEGV" or "exit status unknown".
func leadExitPhrase(ev LeadEvent) string {
	switch {
	case ev.Signal != "":
		return "signal " + ev.Signal
	case ev.ExitStatus != nil && *ev.ExitStatus >= 0:
		return "exit " + strconv.Itoa(*ev.ExitStatus)
	}
	return "exit status unknown"
}

// leadWorkPhrase is " with 2 tasks in progress" and/or unread messages.
func leadWorkPhrase(ev LeadEvent) string {
	var parts []string
	if n := len(ev.Tasks); n > 0 {
		parts = append(parts, leadPlural(n, "task")+" in progress")
	}
	if ev.Unread > 0 {
		parts = append(parts, leadPlural(ev.Unread, "unread message"))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, " and ")
}

func leadPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// leadDuration prints a duration for people: "900ms" below a second,
// "2s", "1m30s", "12m", "1h5m".
func leadDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	case m > 0 && s > 0:
		return fmt.Sprintf("%dm%ds", m, s)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", s)
}

// leadTail returns the last n non-blank-trailing lines of s.
func leadTail(s string, n int) string {
	s = strings.TrimRight(s, " \t\r\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

func leadCut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func leadOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
