package protocol

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Streamed writes. A big inbox is rewritten without holding it in memory:
// fn writes the new content to a temp file of the transform (tx.temp) and
// stages installing it (renamed over its target after the locks are
// verified) or appending it to another file. Temps still present when the
// transform ends (fn failed, a lock was lost) are removed.

// temp creates a temp file beside target, named as writeAtomic names its
// temps (so a crash orphan is swept under target's lock), and records it
// as the transform's own so the sweep in apply leaves it alone.
func (t *tx) temp(target string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(target), tempPrefix(target)+"*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", target, err)
	}
	if t.own == nil {
		t.own = map[string]bool{}
	}
	t.own[f.Name()] = true
	return f, nil
}

// install stages renaming the fsynced temp file tmp (from tx.temp) over
// path; after the rename, rec (if set) is called with path's new identity.
func (t *tx) install(path, tmp string, rec func(fi os.FileInfo)) {
	t.ops = append(t.ops, txOp{kind: opInstall, path: path, to: tmp, rec: rec})
}

// appendFrom stages a durable append of the content of the temp file tmp
// (from tx.temp) to path; tmp is removed afterwards.
func (t *tx) appendFrom(path, tmp string) {
	t.ops = append(t.ops, txOp{kind: opAppendFile, path: path, to: tmp})
}

// removeOwnTemps closes the files of t and deletes its temps left
// behind.
func (t *tx) removeOwnTemps() {
	for _, f := range t.closers {
		_ = f.Close()
	}
	for p := range t.own {
		_ = os.Remove(p)
	}
}

func (t *tx) applyInstall(op txOp) error {
	t.s.callHook("temp-written")
	if err := os.Rename(op.to, op.path); err != nil {
		return fmt.Errorf("write %s: %w", op.path, err)
	}
	delete(t.own, op.to)
	if err := syncDir(filepath.Dir(op.path)); err != nil {
		return err
	}
	if op.rec != nil {
		if fi, err := os.Lstat(op.path); err == nil {
			op.rec(fi)
		}
	}
	return nil
}

func (t *tx) applyAppendFile(op txOp) error {
	defer os.Remove(op.to)
	if err := t.s.mkdirsFor(filepath.Dir(op.path)); err != nil {
		return err
	}
	src, err := os.Open(op.to)
	if err != nil {
		return fmt.Errorf("append %s: %w", op.path, err)
	}
	defer src.Close()
	return appendDurableFrom(op.path, src)
}

// appendDurableFrom appends what src holds to path (created 0600 when
// missing; never through a symbolic link, which could point out of the
// data root, nor into a FIFO, which would block for ever) and fsyncs it.
// If an earlier append was cut short by a crash, it first ends the partial
// line so the new lines stay readable.
func appendDurableFrom(path string, src io.Reader) error {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, filePerm, true)
	if err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], fi.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				return fmt.Errorf("append %s: %w", path, err)
			}
		}
	}
	if _, err := io.Copy(f, src); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	return nil
}

// fileID is the identity of a file as fstat reports it.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // ns
}

// idOf returns fi's identity; false where the platform does not give
// a ctime (then nothing is trusted without validation).
func idOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	ctime, ok := ctimeOf(st)
	if !ok {
		return fileID{}, false
	}
	return fileID{
		dev: uint64(st.Dev), ino: uint64(st.Ino), size: fi.Size(),
		mtime: fi.ModTime().UnixNano(), ctime: ctime,
	}, true
}
