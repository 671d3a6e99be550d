package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// ReadInbox returns agent's messages. With MarkRead it works under the
// inbox lock and moves every live entry it returns to the history file
// with read set; without it, it takes no lock and writes nothing, unless
// the inbox is corrupt, which is then moved aside under the lock. A missing
// inbox is empty.
func (s *Store) ReadInbox(team, agent string, opt ReadOptions) (InboxResult, error) {
	if err := ValidateTeamName(team); err != nil {
		return InboxResult{}, err
	}
	if err := ValidateMemberName(agent); err != nil {
		return InboxResult{}, err
	}
	// Without MarkRead, or with nothing to mark, no lock is needed: a
	// sound inbox read without the lock is one some writer wrote whole.
	raw, bad, err := readInboxEntries(s.InboxPath(team, agent))
	if err != nil && !errors.Is(err, ErrNotRegular) {
		return InboxResult{}, err
	}
	if err == nil && bad == nil && (!opt.MarkRead || !anyMessage(raw)) {
		res, _, err := s.collect(team, agent, raw, opt)
		return res, err
	}
	if _, err := os.Stat(s.InboxPath(team, agent)); errors.Is(err, fs.ErrNotExist) {
		res, _, err := s.collect(team, agent, nil, opt)
		return res, err
	}
	var res InboxResult
	err = s.transform([]string{s.InboxPath(team, agent)}, func(t *tx) error {
		raw, corrupt, err := s.loadInboxLocked(t, team, agent)
		if err != nil {
			return err
		}
		if corrupt != "" {
			t.put(s.InboxPath(team, agent), []byte("[]"))
		}
		var picked []int
		res, picked, err = s.collect(team, agent, raw, opt)
		res.Corrupt = corrupt
		if err != nil || !opt.MarkRead {
			return err
		}
		// What we return is now read (the Python server returns the
		// entries it marked with read true).
		for i := range res.Messages {
			res.Messages[i].Read = true
		}
		// Move what was returned, and live entries already marked read
		// by someone else; leave the rest (other senders, entries cut by
		// Limit, entries we cannot judge) in place.
		move := make([]bool, len(raw))
		for _, i := range picked {
			move[i] = true
		}
		var moved bytes.Buffer
		var keep []json.RawMessage
		for i, r := range raw {
			m, ok := decodeEntry(r)
			if !ok || !move[i] && !m.Read {
				keep = append(keep, r)
				continue
			}
			m.Read = true
			line, err := marshalCompact(m)
			if err != nil {
				return err
			}
			moved.Write(line)
			moved.WriteByte('\n')
		}
		if moved.Len() > 0 {
			// History first: a crash between the two leaves a message
			// twice (once unread), never lost.
			t.appendTo(s.HistoryPath(team, agent), moved.Bytes())
			t.put(s.InboxPath(team, agent), encodeInbox(keep))
		}
		return nil
	})
	if err != nil {
		return InboxResult{}, fmt.Errorf("read inbox %s: %w", agent, err)
	}
	return res, nil
}

func anyMessage(raw []json.RawMessage) bool {
	for _, r := range raw {
		if _, ok := decodeEntry(r); ok {
			return true
		}
	}
	return false
}

// collect builds the result from the live entries and, unless UnreadOnly,
// the history, filtered by From and cut to Limit. It also returns the
// indices into raw of the live entries it returned.
func (s *Store) collect(team, agent string, raw []json.RawMessage, opt ReadOptions) (InboxResult, []int, error) {
	var msgs []Message
	var from []int // per message: its index in raw, or -1 for history
	if !opt.UnreadOnly {
		h, err := s.readHistory(team, agent)
		if err != nil {
			return InboxResult{}, nil, err
		}
		for _, m := range h {
			if opt.From == "" || m.From == opt.From {
				msgs = append(msgs, m)
				from = append(from, -1)
			}
		}
	}
	for i, r := range raw {
		m, ok := decodeEntry(r)
		if !ok || opt.UnreadOnly && m.Read || opt.From != "" && m.From != opt.From {
			continue
		}
		msgs = append(msgs, m)
		from = append(from, i)
	}
	if opt.Limit > 0 && len(msgs) > opt.Limit {
		msgs = msgs[len(msgs)-opt.Limit:]
		from = from[len(from)-opt.Limit:]
	}
	if msgs == nil {
		msgs = []Message{}
	}
	var picked []int
	for _, i := range from {
		if i >= 0 {
			picked = append(picked, i)
		}
	}
	return InboxResult{Messages: msgs}, picked, nil
}

// readHistory reads agent's history file. Lines that do not decode (a
// line cut short by a crash) are skipped.
func (s *Store) readHistory(team, agent string) ([]Message, error) {
	f, err := openRegular(s.HistoryPath(team, agent), os.O_RDONLY, 0, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", agent, err)
	}
	defer f.Close()
	// No line length limit: entries Claude Code wrote may exceed ours.
	var out []Message
	r := bufio.NewReaderSize(f, 64*1024)
	for {
		line, err := r.ReadBytes('\n')
		if m, ok := decodeEntry(bytes.TrimSuffix(line, []byte("\n"))); ok {
			out = append(out, m)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", agent, err)
		}
	}
}

// Unread returns how many live entries of agent's inbox are not read and
// the timestamp of the oldest of them (zero if none or unparsable). It
// takes no lock and writes nothing; a corrupt inbox is an error wrapping
// ErrCorrupt.
func (s *Store) Unread(team, agent string) (count int, oldest time.Time, err error) {
	if err := ValidateTeamName(team); err != nil {
		return 0, time.Time{}, err
	}
	if err := ValidateMemberName(agent); err != nil {
		return 0, time.Time{}, err
	}
	path := s.InboxPath(team, agent)
	raw, bad, err := readInboxEntries(path)
	if errors.Is(err, ErrNotRegular) {
		return 0, time.Time{}, fmt.Errorf("inbox %s: %w: %w", path, ErrCorrupt, err)
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	if bad != nil {
		return 0, time.Time{}, fmt.Errorf("inbox %s: %w: %v", path, ErrCorrupt, bad)
	}
	for _, r := range raw {
		m, ok := decodeEntry(r)
		if !ok || m.Read {
			continue
		}
		count++
		if ts, err := ParseTimestamp(m.Timestamp); err == nil && (oldest.IsZero() || ts.Before(oldest)) {
			oldest = ts
		}
	}
	return count, oldest, nil
}

// RemoveMessage removes the live entry with msg_id msgID from agent's
// inbox under the inbox lock (a spawn rolled back takes back the prompt it
// seeded). It reports whether an entry was removed; a missing inbox or
// entry is not an error.
func (s *Store) RemoveMessage(team, agent, msgID string) (bool, error) {
	if err := ValidateTeamName(team); err != nil {
		return false, err
	}
	if err := ValidateMemberName(agent); err != nil {
		return false, err
	}
	path := s.InboxPath(team, agent)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || msgID == "" {
		return false, nil
	}
	removed := false
	err := s.transform([]string{path}, func(t *tx) error {
		raw, bad, err := readInboxEntries(path)
		if err != nil {
			return err
		}
		if bad != nil {
			return fmt.Errorf("inbox %s: %w: %v", path, ErrCorrupt, bad)
		}
		kept := make([]json.RawMessage, 0, len(raw))
		for _, r := range raw {
			if m, ok := decodeEntry(r); ok && m.MsgID == msgID {
				removed = true
				continue
			}
			kept = append(kept, r)
		}
		if removed {
			t.put(path, encodeInbox(kept))
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("remove message from %s: %w", agent, err)
	}
	return removed, nil
}
