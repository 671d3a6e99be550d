package protocol

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// Appending to a big inbox. The new file is the old one's bytes up to the
// closing bracket, copied by the kernel (copy_file_range: no copy through
// Go memory), then the spliced entry and "]", written in one write, fsynced
// and renamed over the inbox under its lock: still an atomic replace.
//
// The old bytes must be one JSON array, or the splice would make a corrupt
// inbox of a sound message. Checking that means reading and scanning the
// whole file, which for 10 000 unread messages costs more than the copy.
// We skip it for an inbox we wrote ourselves and nobody touched since:
//
//   - After installing an inbox we record, per path, its identity from
//     lstat (device, inode, size, mtime and ctime in ns) and a SHA-256 of
//     its first and last 4 KiB.
//   - The next append opens the file, fstats the open descriptor and
//     compares; only if every field and the hash of the same head and tail
//     bytes match are the bytes taken as the ones we validated.
//
// Why a foreign writer cannot slip through: replacing the file by rename
// (Claude Code's and our way) gives a new inode, or a reused inode number
// with a new ctime; writing in place changes mtime and ctime, and ctime
// cannot be set back from user space (utimes sets mtime but stamps ctime
// with the current time). The one gap is a write in place, keeping the
// size, within the same clock tick as our rename (ext4 stamps with the
// coarse clock, about 4 ms) and leaving the first and last 4 KiB as they
// were: that writer ignores the lock we hold for that whole tick, so it
// races every writer anyway. Even then nothing is lost: the spliced file
// fails the next reader's check and is set aside whole, our entry with it.

// validCache remembers inboxes we wrote; safe for concurrent use.
type validCache struct {
	mu sync.Mutex
	m  map[string]validMark
}

type validMark struct {
	id  fileID
	sum [sha256.Size]byte
}

const markSpan = 4096

// fingerprint hashes the first and last markSpan bytes of f (size bytes).
func fingerprint(f *os.File, size int64) ([sha256.Size]byte, error) {
	h := sha256.New()
	head := io.NewSectionReader(f, 0, min(size, markSpan))
	if _, err := io.Copy(h, head); err != nil {
		return [sha256.Size]byte{}, err
	}
	tailStart := max(0, size-markSpan)
	if _, err := io.Copy(h, io.NewSectionReader(f, tailStart, size-tailStart)); err != nil {
		return [sha256.Size]byte{}, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, nil
}

// known reports whether f (open on path, of identity fi) is an inbox we
// wrote and validated, unchanged since.
func (c *validCache) known(path string, f *os.File, fi os.FileInfo) bool {
	if c == nil {
		return false
	}
	id, ok := idOf(fi)
	if !ok {
		return false
	}
	c.mu.Lock()
	mark, ok := c.m[path]
	c.mu.Unlock()
	if !ok || mark.id != id {
		return false
	}
	sum, err := fingerprint(f, id.size)
	return err == nil && sum == mark.sum
}

// record remembers path, just installed with identity fi, as valid; tmp
// is the still open temp file it was renamed from (same bytes).
func (c *validCache) record(path string, tmp *os.File, fi os.FileInfo) {
	if c == nil {
		return
	}
	id, ok := idOf(fi)
	if !ok {
		return
	}
	sum, err := fingerprint(tmp, id.size)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.m, path)
		return
	}
	if c.m == nil {
		c.m = map[string]validMark{}
	}
	c.m[path] = validMark{id: id, sum: sum}
}

// stageAppend stages appending one encoded entry to agent's inbox; the
// caller holds the inbox lock. The entry is spliced after the existing
// bytes once they are known to be a JSON array (see above), so an append
// costs a kernel copy of the file, not decoding and encoding every entry.
// A corrupt inbox is staged to move aside and the entry starts a fresh one.
func (s *Store) stageAppend(t *tx, team, agent string, entry []byte) (corrupt string, err error) {
	path := s.InboxPath(team, agent)
	f, err := openRegular(path, os.O_RDONLY, 0, false)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", s.stageFresh(t, path, entry)
	case errors.Is(err, ErrNotRegular):
		corrupt = s.stageSetAside(t, team, agent)
		return corrupt, s.stageFresh(t, path, entry)
	case err != nil:
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", path, err)
	}
	if !s.valid.known(path, f, fi) {
		bad, err := scanArray(io.NewSectionReader(f, 0, fi.Size()), nil)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", path, err)
		}
		if bad != nil {
			corrupt = s.stageSetAside(t, team, agent)
			return corrupt, s.stageFresh(t, path, entry)
		}
	}
	// A sound array: the last non-space byte is its ], and the one
	// before it ends the last entry, or is the [ of an empty array.
	size := fi.Size()
	closing, c, err := lastNonSpace(f, size)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if closing < 0 { // blank
		return "", s.stageFresh(t, path, entry)
	}
	if c != ']' {
		return "", fmt.Errorf("read %s: inbox changed while locked", path)
	}
	last, c, err := lastNonSpace(f, closing)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	start, err := firstNonSpace(f, size)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "", s.stageCopySplice(t, path, f, start, last+1, spliceTail(entry, c == '['))
}

// stageFresh stages path as a new inbox holding entry alone.
func (s *Store) stageFresh(t *tx, path string, entry []byte) error {
	return s.stageCopySplice(t, path, nil, 0, 0, append([]byte{'['}, spliceTail(entry, true)...))
}

// stageCopySplice writes a temp file holding bytes [from, to) of old (if
// any) and then tail, fsyncs it and stages installing it over path.
func (s *Store) stageCopySplice(t *tx, path string, old *os.File, from, to int64, tail []byte) error {
	tmp, err := t.temp(path)
	if err != nil {
		return err
	}
	err = func() error {
		if old != nil && to > from {
			// *os.File.ReadFrom of a LimitedReader over an *os.File
			// uses copy_file_range.
			if _, err := old.Seek(from, io.SeekStart); err != nil {
				return err
			}
			n, err := tmp.ReadFrom(&io.LimitedReader{R: old, N: to - from})
			if err != nil {
				return err
			}
			if n != to-from {
				return fmt.Errorf("inbox shrank while locked (copied %d of %d bytes)", n, to-from)
			}
		}
		if _, err := tmp.Write(tail); err != nil {
			return err
		}
		return tmp.Sync()
	}()
	if err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	t.install(path, name, func(fi os.FileInfo) {
		s.valid.record(path, tmp, fi)
		tmp.Close()
	})
	t.closers = append(t.closers, tmp)
	return nil
}
