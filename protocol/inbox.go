package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Inbox files (PROTOCOL.md §5). The live file R/teams/<team>/inboxes/<agent>.json
// holds only entries not yet marked read by us; marking read moves entries
// to the agent's history file (OwnDir/history/<agent>.jsonl), so appending
// to an inbox costs the same however many messages it has seen.

// ReadOptions select what ReadInbox returns and does.
type ReadOptions struct {
	// UnreadOnly returns only entries not marked read; otherwise the
	// history of read entries comes first, then the live file.
	UnreadOnly bool
	// MarkRead marks the returned live entries read, moving them from the
	// live file to the history file.
	MarkRead bool
	// Limit, when positive, returns only the newest Limit messages.
	// Entries it leaves out are not marked.
	Limit int
	// From, when set, returns only entries sent by that member (the
	// lead's check_teammate reads one teammate's mail this way). Entries
	// from others are neither returned nor marked.
	From string
}

// InboxResult is what ReadInbox found.
type InboxResult struct {
	Messages []Message
	// Corrupt is the path the bytes of a corrupt inbox were moved to
	// before it was replaced by an empty one; "" if the inbox was sound.
	Corrupt string
}

// Send appends m to agent's inbox in team under the inbox lock. It fills
// timestamp (when empty), msgV 1, a new msg_id, type "message" and read
// false, and returns the entry written. The team must exist; membership is
// the caller's business.
func (s *Store) Send(team, to string, m Message) (Message, error) {
	d, err := s.Deliver(team, to, m)
	return d.Message, err
}

// Delivery is the outcome of Deliver.
type Delivery struct {
	Message Message // the entry as written
	// Corrupt is the path the bytes of a corrupt inbox were moved to
	// before the message was appended to a fresh one; "" if it was sound.
	Corrupt string
}

// Deliver is Send that also reports an inbox found corrupt and set aside.
func (s *Store) Deliver(team, to string, m Message) (Delivery, error) {
	if err := ValidateTeamName(team); err != nil {
		return Delivery{}, err
	}
	if err := ValidateMemberName(to); err != nil {
		return Delivery{}, err
	}
	m = s.fillMessage(m)
	if err := ValidateMessage(m); err != nil {
		return Delivery{}, fmt.Errorf("send to %s: %w", to, err)
	}
	if err := s.signEntry(team, to, &m); err != nil {
		return Delivery{}, fmt.Errorf("send to %s: %w", to, err)
	}
	entry, err := marshalCompact(m)
	if err != nil {
		return Delivery{}, fmt.Errorf("send to %s: %w", to, err)
	}
	if err := s.ensureInbox(team, to); err != nil {
		return Delivery{}, fmt.Errorf("send to %s: %w", to, err)
	}
	d := Delivery{Message: m}
	err = s.transform([]string{s.InboxPath(team, to)}, func(t *tx) error {
		c, err := s.stageAppend(t, team, to, entry)
		d.Corrupt = c
		return err
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("send to %s: %w", to, err)
	}
	return d, nil
}

func (s *Store) fillMessage(m Message) Message {
	if m.Timestamp == "" {
		m.Timestamp = s.timestamp()
	}
	m.MsgV = 1
	if m.MsgID == "" {
		m.MsgID = s.newID()
	}
	m.Type = MessageType
	m.Read = false
	return m
}

// stageSetAside stages moving agent's inbox to OwnDir/corrupt and returns
// where to. Renaming moves the name only, so a FIFO, socket or device in
// the inbox's place never blocks it.
func (s *Store) stageSetAside(t *tx, team, agent string) string {
	stamp := strings.NewReplacer(":", "", "-", "").Replace(FormatTimestamp(time.Now()))
	corrupt := filepath.Join(s.OwnDir(team), "corrupt", fmt.Sprintf("%s.json.%s-%s", agent, stamp, s.newID()[:8]))
	t.rename(s.InboxPath(team, agent), corrupt)
	return corrupt
}

// SendMany sends m to each recipient in turn (a broadcast). It sends to
// every recipient it can and returns the errors of the others joined.
func (s *Store) SendMany(team string, to []string, m Message) error {
	var errs []error
	for _, r := range to {
		if _, err := s.Send(team, r, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ensureInbox creates the inboxes directory and an inbox holding "[]" if
// missing: a lock directory may only guard an existing file (§3).
func (s *Store) ensureInbox(team, agent string) error {
	path := s.InboxPath(team, agent)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if _, err := os.Stat(s.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("team %s: %w", team, ErrTeamNotFound)
	}
	if err := os.Mkdir(s.InboxDir(team), dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mkdir %s: %w", s.InboxDir(team), err)
	}
	if err := createExclusive(path, []byte("[]")); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}
