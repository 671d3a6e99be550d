package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"os"
)

// errInboxChanged: the live file read twice under its lock differed (a
// writer ignoring the lock); nothing is written.
var errInboxChanged = errors.New("inbox changed under its lock")

// liveScan is what collect saw of the live file: per entry its class,
// and the indices of the entries it returned.
type liveScan struct {
	class  []entryClass
	picked []int
}

type entryClass uint8

const (
	notMessage entryClass = iota // kept as is, never judged
	unreadMessage
	readMessage
)

// stageMarked stages moving, under the inbox lock, the live entries
// collect picked (marked: their messages, read set, in file order) and
// those already read to the history file, and the rest to a new live
// file. It streams the live file a second time into two temp files (the
// new live file, formatted as encodeInbox formats it, and the history
// lines), so memory stays the buffers, not the file. Nothing is staged
// when there is nothing to move.
func (s *Store) stageMarked(t *tx, team, agent string, live liveScan, marked []Message) error {
	move := make([]bool, len(live.class))
	moving := false
	for _, i := range live.picked {
		move[i] = true
		moving = true
	}
	for i, c := range live.class {
		if c == readMessage {
			move[i] = true
			moving = true
		}
	}
	if !moving {
		return nil
	}
	path := s.InboxPath(team, agent)
	liveTmp, err := t.temp(path)
	if err != nil {
		return err
	}
	t.closers = append(t.closers, liveTmp)
	histTmp, err := t.temp(path) // a spool beside the inbox, swept under its lock
	if err != nil {
		return err
	}
	t.closers = append(t.closers, histTmp)
	iw := newInboxWriter(liveTmp)
	hw := bufio.NewWriterSize(histTmp, 64<<10)
	j, n := 0, 0
	bad, err := scanInbox(path, func(i int, r []byte) error {
		if i >= len(move) {
			return errInboxChanged
		}
		n++
		if !move[i] {
			return iw.add(r)
		}
		var m Message
		if j < len(live.picked) && live.picked[j] == i {
			m = marked[j]
			j++
		} else {
			var ok bool
			if m, ok = decodeEntry(r); !ok {
				return errInboxChanged
			}
		}
		m.Read = true
		line, err := marshalCompact(m)
		if err != nil {
			return err
		}
		hw.Write(line)
		return hw.WriteByte('\n')
	})
	if err == nil && (bad != nil || n != len(move)) {
		err = errInboxChanged
	}
	if err == nil {
		err = iw.close()
	}
	if err == nil {
		err = hw.Flush()
	}
	if err == nil {
		err = liveTmp.Sync()
	}
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	// History first: a crash between the two leaves a message twice
	// (once unread), never lost.
	t.appendFrom(s.HistoryPath(team, agent), histTmp.Name())
	t.install(path, liveTmp.Name(), func(fi os.FileInfo) { s.valid.record(path, liveTmp, fi) })
	return nil
}
