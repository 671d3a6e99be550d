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
// inbox is empty. The live file is streamed, never held whole: memory is
// the messages returned plus buffers (inboxmark.go rewrites it).
func (s *Store) ReadInbox(team, agent string, opt ReadOptions) (InboxResult, error) {
	if err := ValidateTeamName(team); err != nil {
		return InboxResult{}, err
	}
	if err := ValidateMemberName(agent); err != nil {
		return InboxResult{}, err
	}
	path := s.InboxPath(team, agent)
	// Without MarkRead, or with nothing to mark, no lock is needed: a
	// sound inbox read without the lock is one some writer wrote whole.
	if !opt.MarkRead {
		res, _, bad, err := s.collect(team, agent, path, opt)
		if err != nil && !errors.Is(err, ErrNotRegular) {
			return InboxResult{}, err
		}
		if err == nil && bad == nil {
			return res, nil
		}
	} else {
		found := false
		bad, err := scanInbox(path, func(_ int, r []byte) error {
			if _, ok := decodeEntry(r); ok {
				found = true
				return errStopScan
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotRegular) {
			return InboxResult{}, err
		}
		if err == nil && bad == nil && !found {
			res, _, _, err := s.collect(team, agent, "", opt)
			return res, err
		}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		res, _, _, err := s.collect(team, agent, "", opt)
		return res, err
	}
	var res InboxResult
	err := s.transform([]string{path}, func(t *tx) error {
		var live liveScan
		var bad error
		var err error
		res, live, bad, err = s.collect(team, agent, path, opt)
		if err != nil && !errors.Is(err, ErrNotRegular) {
			return err
		}
		if err != nil || bad != nil {
			corrupt := s.stageSetAside(t, team, agent)
			t.put(path, []byte("[]"))
			res, _, _, err = s.collect(team, agent, "", opt)
			res.Corrupt = corrupt
			return err
		}
		if !opt.MarkRead {
			return nil
		}
		// What we return is now read (the Python server returns the
		// entries it marked with read true).
		for i := range res.Messages {
			res.Messages[i].Read = true
		}
		return s.stageMarked(t, team, agent, live, res.Messages[len(res.Messages)-len(live.picked):])
	})
	if err != nil {
		return InboxResult{}, fmt.Errorf("read inbox %s: %w", agent, err)
	}
	return res, nil
}

// collect builds the result from the live file path ("" for none) and,
// unless UnreadOnly, the history, filtered by From and cut to Limit,
// streaming the live file. bad is set when it is not a JSON array.
func (s *Store) collect(team, agent, path string, opt ReadOptions) (res InboxResult, live liveScan, bad, err error) {
	var msgs []Message
	var from []int // per message: its index in the live file, or -1 for history
	keep := func(m Message, i int) {
		msgs = append(msgs, m)
		from = append(from, i)
		// Only the newest Limit are returned: drop older ones as we go.
		if opt.Limit > 0 && len(msgs) >= 2*opt.Limit+64 {
			n := copy(msgs, msgs[len(msgs)-opt.Limit:])
			clear(msgs[n:])
			msgs = msgs[:n]
			from = from[:copy(from, from[len(from)-opt.Limit:])]
		}
	}
	if !opt.UnreadOnly {
		h, err := s.readHistory(team, agent)
		if err != nil {
			return InboxResult{}, liveScan{}, nil, err
		}
		for _, m := range h {
			if opt.From == "" || m.From == opt.From {
				keep(m, -1)
			}
		}
	}
	if path != "" {
		bad, err = scanInbox(path, func(i int, r []byte) error {
			m, ok := decodeEntry(r)
			c := notMessage
			if ok {
				c = unreadMessage
				if m.Read {
					c = readMessage
				}
			}
			live.class = append(live.class, c)
			if ok && !(opt.UnreadOnly && m.Read) && (opt.From == "" || m.From == opt.From) {
				keep(m, i)
			}
			return nil
		})
		if bad != nil || err != nil {
			return InboxResult{}, liveScan{}, bad, err
		}
	}
	if opt.Limit > 0 && len(msgs) > opt.Limit {
		msgs = msgs[len(msgs)-opt.Limit:]
		from = from[len(from)-opt.Limit:]
	}
	if msgs == nil {
		msgs = []Message{}
	}
	for _, i := range from {
		if i >= 0 {
			live.picked = append(live.picked, i)
		}
	}
	return InboxResult{Messages: msgs}, live, nil, nil
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
	bad, err := scanInbox(path, func(_ int, r []byte) error {
		m, ok := decodeEntry(r)
		if !ok || m.Read {
			return nil
		}
		count++
		if ts, err := ParseTimestamp(m.Timestamp); err == nil && (oldest.IsZero() || ts.Before(oldest)) {
			oldest = ts
		}
		return nil
	})
	if errors.Is(err, ErrNotRegular) {
		return 0, time.Time{}, fmt.Errorf("inbox %s: %w: %w", path, ErrCorrupt, err)
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	if bad != nil {
		return 0, time.Time{}, fmt.Errorf("inbox %s: %w: %v", path, ErrCorrupt, bad)
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
