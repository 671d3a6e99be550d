package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// transform is the one locked read-modify-write helper every writer goes
// through, in the spirit of cmd/go's lockedfile.Transform:
//
//  1. take the lock directory of each file in lockFiles, in order;
//  2. call fn, which reads what it needs (it may take more locks with
//     tx.lock) and only stages writes on tx;
//  3. if fn succeeds, apply the staged writes in order (atomic replace,
//     durable append, remove, rename);
//  4. release every lock, on every path, panics included.
//
// A refused change (fn returns an error) therefore writes nothing, and
// neither does one whose lock was lost before step 3. A goroutine
// refreshes the locks' mtimes while transform runs and ends before it
// returns.
//
// Once the staged writes are applied, the operation succeeded: a lock
// found broken when it is released does not turn it into a failure (a
// caller that retried would apply it twice).
func (s *Store) transform(lockFiles []string, fn func(*tx) error) (err error) {
	t := &tx{s: s, set: s.newLockSet()}
	applied := false
	defer func() {
		t.removeOwnTemps()
		if rerr := t.set.releaseAll(); rerr != nil && err == nil && !applied {
			err = rerr
		}
	}()
	for _, f := range lockFiles {
		if err := t.lock(f); err != nil {
			return err
		}
	}
	s.callHook("locked")
	if err := fn(t); err != nil {
		return err
	}
	// A lock broken under us (judged stale) may have a new holder that
	// is writing now: write nothing rather than overwrite its change.
	if err := t.set.verify(); err != nil {
		return s.goneOr(lockFiles, err)
	}
	s.callHook("verified")
	if err := t.apply(); err != nil {
		return s.goneOr(lockFiles, err)
	}
	applied = true
	return nil
}

// tx is the state of one transform: the locks held and the staged writes.
type tx struct {
	s     *Store
	set   *lockSet
	ops   []txOp
	temps map[string][]string // dir -> prefixes of orphan temps to remove
	own   map[string]bool     // temps fn wrote (tx.temp), not orphans
	// closers are files kept open until the transform ends.
	closers []*os.File
}

type opKind int

const (
	opPut opKind = iota
	opRemove
	opRename
	opCreate
	opInstall    // rename temp file to over path
	opAppendFile // append temp file to to path
)

type txOp struct {
	kind opKind
	path string
	to   string // opRename
	data []byte
	rec  func(os.FileInfo) // opInstall: told path's new identity
}

// lock takes one more lock directory (that of file) for the rest of the
// transform.
func (t *tx) lock(file string) error {
	l, err := t.s.acquireLock(file)
	if err != nil {
		return err
	}
	t.set.add(l)
	// Under this lock, temp files of ours for file are orphans. Under a
	// task list lock (.lock), every temp file of ours in the directory is:
	// all our task writes hold that lock.
	prefix := tempPrefix(file)
	if filepath.Base(file) == ".lock" {
		prefix = "."
	}
	if t.temps == nil {
		t.temps = map[string][]string{}
	}
	t.temps[filepath.Dir(file)] = append(t.temps[filepath.Dir(file)], prefix)
	return nil
}

// put stages an atomic replacement of path by data.
func (t *tx) put(path string, data []byte) {
	t.ops = append(t.ops, txOp{kind: opPut, path: path, data: data})
}

// create stages creating path with data; it fails, wrapping fs.ErrExist,
// if path exists (a new task file never replaces another).
func (t *tx) create(path string, data []byte) {
	t.ops = append(t.ops, txOp{kind: opCreate, path: path, data: data})
}

// remove stages the removal of path (missing is fine).
func (t *tx) remove(path string) { t.ops = append(t.ops, txOp{kind: opRemove, path: path}) }

// rename stages moving path to to, creating to's directory.
func (t *tx) rename(path, to string) {
	t.ops = append(t.ops, txOp{kind: opRename, path: path, to: to})
}

func (t *tx) apply() error {
	if len(t.ops) == 0 {
		return nil
	}
	for dir, prefixes := range t.temps {
		removeStaleTemps(dir, prefixes, t.own)
	}
	for _, op := range t.ops {
		var err error
		switch op.kind {
		case opPut:
			err = t.s.writeAtomic(op.path, op.data)
		case opCreate:
			err = createExclusive(op.path, op.data)
		case opInstall:
			err = t.applyInstall(op)
		case opAppendFile:
			err = t.applyAppendFile(op)
		case opRemove:
			if err = os.Remove(op.path); errors.Is(err, fs.ErrNotExist) {
				err = nil
			} else if err != nil {
				err = fmt.Errorf("remove %s: %w", op.path, err)
			}
		case opRename:
			if err = t.s.mkdirsFor(filepath.Dir(op.to)); err == nil {
				if err = os.Rename(op.path, op.to); err != nil {
					err = fmt.Errorf("move %s aside: %w", op.path, err)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readFile returns path's content, or nil and no error when it is missing.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
