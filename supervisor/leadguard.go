package supervisor

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/backends"
	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/supervisor/statefile"
)

// The lead guard (issue 14 item 4): a teammate launched with
// --lead-verify-key ignores entries that claim the lead (team-lead, user,
// system) without our signature, so such an entry is either a forgery (a
// teammate impersonating the lead under peer messaging, another process of
// the user) or a stale one; the lead hears about each once. The work
// watcher reads the keyed teammates' inboxes on every inbox change
// (inotify: Claude Code deletes entries within about a second of
// delivering them, so a timer would miss them) and reports the entries
// that do not verify (readForged, in its goroutine); the owner loop keeps
// only those of teammates whose current launch got a key and that do not
// verify with that launch's key either, tells the lead about each new one,
// and remembers it in the state file (TeammateState.ForgedReported), so a
// successor supervisor does not tell again.

// leadGuard is the owner loop's record of one teammate's lead signing.
// Owned by run.
type leadGuard struct {
	// key is the --lead-verify-key of the current launch; "" means the
	// launch got none: the teammate checks nothing and its inbox is not
	// watched for forgeries.
	key string
	// reported are the EntryKeys of the forged entries the lead was told
	// about that were still in the inbox when last read.
	reported []string
	// preKeyBefore is set (Unix ms of the launch) when this launch is the
	// teammate's first with a key: its previous launch had none, or there
	// was none. Unsigned lead entries dated before it were written while
	// nothing was signed (ours among them, or backdated): they are told
	// to the lead together, once, not each as a forgery.
	preKeyBefore int64
}

// maxForgedNotes bounds the lead notices of one inbox read: a flood of
// forgeries beyond it is told in one further notice.
const maxForgedNotes = 5

// maxForgedListed bounds the msg_ids that further notice lists.
const maxForgedListed = 20

// launchVerifyKey returns the --lead-verify-key value in l's argv ("" if
// the launch has none).
func launchVerifyKey(l backends.Launch) string {
	for i := 1; i+1 < len(l.Argv); i++ {
		if l.Argv[i] == backends.LeadKeyOption {
			return l.Argv[i+1]
		}
	}
	return ""
}

// newGuard is the guard of a new launch l; the forgeries old already
// reported stay reported (they may still be in the inbox).
func newGuard(l backends.Launch, old *mate) leadGuard {
	g := leadGuard{key: launchVerifyKey(l)}
	if old != nil {
		g.reported = old.guard.reported
	}
	if g.key != "" && (old == nil || old.guard.key == "") {
		if ms, _, err := protocol.ParseVerifyKey(g.key); err == nil {
			g.preKeyBefore = ms
		}
	}
	return g
}

// preKey reports whether msg, not signed for m's launch, was dated before
// m's first keyed launch (leadGuard.preKeyBefore).
func (g leadGuard) preKey(msg protocol.Message) bool {
	if g.preKeyBefore == 0 {
		return false
	}
	ts, err := protocol.ParseTimestamp(msg.Timestamp)
	return err == nil && ts.UnixMilli() < g.preKeyBefore
}

// guardOf restores a guard from the state file; the key counts only when
// the record is of the pane being adopted (current).
func guardOf(ts statefile.TeammateState, current bool) leadGuard {
	g := leadGuard{reported: ts.ForgedReported}
	if current {
		g.key = ts.LeadVerifyKey
	}
	return g
}

// readForged reads, for every member of members with a lead key file, the
// entries of its inbox that claim the lead but are not signed with that
// key. A member is in the result only if its inbox was read (an empty list:
// nothing forged). With all, members are every teammate and the verifiers
// of anyone else are dropped; otherwise the others' verifiers are kept for
// their next read. It runs in the work watcher's goroutine.
func (t *team) readForged(members []protocol.Member, all bool) map[string][]protocol.Message {
	out := map[string][]protocol.Message{}
	old := t.verifiers
	if all || t.verifiers == nil {
		t.verifiers = map[string]*protocol.LeadVerifier{}
	}
	for _, mem := range members {
		v := old[mem.Name]
		delete(t.verifiers, mem.Name) // set again below while it has a key
		k, ok, err := t.store.ReadLeadKey(t.name, mem.Name)
		if err != nil {
			t.log.Debug("lead guard: key", zap.String("agent", mem.Name), zap.Error(err))
			continue
		}
		if !ok {
			continue
		}
		if vk := k.VerifyKey(); v == nil || v.Key() != vk {
			if v, err = protocol.NewLeadVerifier(vk); err != nil {
				t.log.Debug("lead guard: key", zap.String("agent", mem.Name), zap.Error(err))
				continue
			}
		}
		t.verifiers[mem.Name] = v
		msgs, err := t.store.LeadForgeries(t.name, mem.Name, v)
		if err != nil {
			t.log.Debug("lead guard: inbox", zap.String("agent", mem.Name), zap.Error(err))
			continue
		}
		out[mem.Name] = msgs
	}
	return out
}

// onForged takes what readForged found: each forged entry of a teammate
// whose current launch got a key is told to the lead once and remembered;
// entries gone from the inbox are forgotten.
func (t *team) onForged(forged map[string][]protocol.Message) {
	if t.tornDown || len(forged) == 0 {
		return
	}
	names := make([]string, 0, len(forged))
	for name := range forged {
		names = append(names, name)
	}
	sort.Strings(names)
	var notes []leadNote
	var more []string // "w1: <msg_id>" beyond maxForgedNotes
	var moreFrom *mate
	var preKey []string // "<msg_id>" of one teammate's entries from before its key
	for _, name := range names {
		m := t.mates[name]
		if m == nil || m.guard.key == "" {
			continue
		}
		seen := make(map[string]bool, len(m.guard.reported))
		for _, k := range m.guard.reported {
			seen[k] = true
		}
		present := map[string]bool{}
		for _, msg := range forged[name] {
			k := protocol.EntryKey(msg)
			if seen[k] {
				present[k] = true // told already: no signature check again
				continue
			}
			if protocol.VerifyLeadEntry(msg, m.guard.key) {
				continue // ours, signed for this launch
			}
			present[k] = true
			seen[k] = true
			m.guard.reported = append(m.guard.reported, k)
			if m.guard.preKey(msg) {
				preKey = append(preKey, entryLabel(msg))
				continue
			}
			t.log.Warn("forged lead entry", zap.String("agent", name), zap.String("msg_id", k),
				zap.String("claimed", msg.From), zap.String("timestamp", msg.Timestamp))
			if len(notes) < maxForgedNotes {
				notes = append(notes, forgedNote(name, m.color, msg, t.otherMates(name)))
			} else {
				more = append(more, name+": "+entryLabel(msg))
				if moreFrom == nil {
					moreFrom = m
				}
			}
		}
		m.guard.reported = slices.DeleteFunc(m.guard.reported, func(k string) bool { return !present[k] })
		if len(preKey) > 0 {
			t.log.Info("unsigned lead entries from before the teammate's first lead key", zap.String("agent", name),
				zap.Strings("msg_ids", preKey))
			notes = append(notes, preKeyNote(m.name, m.color, preKey))
			preKey = nil
		}
	}
	if len(more) > 0 {
		n := len(more)
		if len(more) > maxForgedListed {
			more = append(more[:maxForgedListed], "…")
		}
		notes = append(notes, leadNote{
			from:    moreFrom.name,
			color:   moreFrom.color,
			summary: strconv.Itoa(n) + " more forged lead messages",
			text: strconv.Itoa(n) + " more messages claiming to be from the lead, not signed by us, are in keyed " +
				"teammates' inboxes (agent: msg_id): " + strings.Join(more, ", ") + ".",
		})
	}
	if len(notes) == 0 {
		return
	}
	for _, n := range notes {
		t.notes.push(n)
	}
	t.persist()
}

// otherMates are the teammates other than name, sorted: who could have
// written into name's inbox.
func (t *team) otherMates(name string) []string {
	var out []string
	for n := range t.mates {
		if n != name {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// forgedNote is the lead notice about one forged entry in agent's inbox:
// what it claimed, what it says, and who could have written it. It comes
// from agent, in agent's colour, like the supervisor's other notices
// about a teammate.
func forgedNote(agent, color string, msg protocol.Message, others []string) leadNote {
	what := "a message"
	if typ, _, ok := protocol.Decode(msg.Text); ok {
		what = "a " + typ
	}
	var b strings.Builder
	b.WriteString(agent + "'s inbox has " + what + " claiming to be from " + msg.From + " that we did not sign")
	b.WriteString(" (msg_id " + entryLabel(msg))
	if msg.Timestamp != "" {
		b.WriteString(", timestamp " + msg.Timestamp)
	}
	b.WriteString("): " + strconv.Quote(entryGist(msg)) + ".\n")
	b.WriteString(agent + " was started with a lead key, so it sees the message marked unverified and ignores the " +
		"shutdown requests and plan approvals in it; it may still read the text.\n")
	b.WriteString("Anyone who can write the team's inbox files could have written it: ")
	if len(others) > 0 {
		b.WriteString("another teammate (" + strings.Join(others, ", ") + ") with peer messaging or a file tool, or ")
	}
	b.WriteString("another process of your user.")
	return leadNote{
		from:    agent,
		color:   color,
		summary: "forged " + msg.From + " message to " + agent,
		text:    b.String(),
	}
}

// preKeyNote tells the lead, once, about the unsigned lead entries (ids)
// dated before agent's first launch with a lead key: written while nothing
// was signed, by us or by anyone, they are not forgeries of the key, but
// agent now treats them as unverified.
func preKeyNote(agent, color string, ids []string) leadNote {
	n := len(ids)
	if len(ids) > maxForgedListed {
		ids = append(ids[:maxForgedListed:maxForgedListed], "…")
	}
	return leadNote{
		from:    agent,
		color:   color,
		summary: strconv.Itoa(n) + " unsigned lead messages from before " + agent + "'s lead key",
		text: agent + " now runs with a lead key. " + strconv.Itoa(n) + " messages in its inbox claiming the lead are " +
			"unsigned and dated before that launch (written while nothing was signed, or backdated; msg_id " +
			strings.Join(ids, ", ") + "): " + agent + " sees them marked unverified and ignores the shutdown " +
			"requests and plan approvals in them. Send again what still matters.",
	}
}

// entryLabel names an entry for the person: its msg_id, else its
// EntryKey.
func entryLabel(msg protocol.Message) string {
	if msg.MsgID != "" {
		return msg.MsgID
	}
	return protocol.EntryKey(msg)
}

// gistRunes bounds entryGist.
const gistRunes = 120

// entryGist is an entry's summary, else the first line of its text, at
// most gistRunes runes.
func entryGist(msg protocol.Message) string {
	s := msg.Summary
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(msg.Text), "\n")
	}
	if utf8.RuneCountInString(s) > gistRunes {
		r := []rune(s)
		s = string(r[:gistRunes]) + "…"
	}
	return s
}
