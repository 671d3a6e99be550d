package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Permissions of everything we create (PROTOCOL.md §2).
const (
	dirPerm  = 0o700
	filePerm = 0o600
)

// tempPrefix returns the prefix of the temp files written beside path. They
// start with a dot and do not end in .json, so neither Claude Code nor our
// directory listings mistake them for inboxes or tasks.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// writeAtomic replaces path with data: temp file in the same directory,
// write, fsync, rename over path, fsync the directory. Readers see the old
// or the new content, never a mix. A crash leaves at most a temp file.
func (s *Store) writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, tempPrefix(path)+"*", data)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	s.callHook("temp-written")
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// writeTemp writes data to a new fsynced temp file in dir (named after
// pattern, as os.CreateTemp) and returns its path; on error it leaves
// nothing behind.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// createExclusive creates path with data unless it exists. The content
// appears at once (temp file + link), so no reader sees an empty file. It
// returns an error wrapping fs.ErrExist when path exists.
func createExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, "."+filepath.Base(path)+".new-*", data)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// A file system without hard links: O_CREAT|O_EXCL, then write.
		var g *os.File
		g, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			_, err = g.Write(data)
			if cerr := g.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents with mode 0700.
func mkdirs(dir string) error {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	return nil
}

// removeStaleTemps deletes, in dir, temp files of ours whose names start
// with one of prefixes: left by a writer that died between creating and
// renaming them. Call it only while holding the locks of the files those
// prefixes belong to: then no live writer of ours is using them. Paths in
// own (the caller's own temps) are kept.
func removeStaleTemps(dir string, prefixes []string, own map[string]bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.Contains(name, ".tmp-") || own[filepath.Join(dir, name)] {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				_ = os.Remove(filepath.Join(dir, name))
				break
			}
		}
	}
}

// marshalCompact encodes v as compact JSON without escaping <, > and &
// (JSON.stringify does not either).
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// marshalFile encodes v as a file of ours or Claude Code's: 2-space
// indent, like JSON.stringify(v, null, 2), no trailing newline.
func marshalFile(v any) ([]byte, error) {
	compact, err := marshalCompact(v)
	if err != nil {
		return nil, err
	}
	return indent(compact), nil
}

func indent(compact []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(compact) + len(compact)/4)
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return compact // not reached: compact came from the encoder
	}
	return out.Bytes()
}

// ReadJSONFile decodes the JSON file path into v. A missing file returns an
// error wrapping fs.ErrNotExist.
func ReadJSONFile(path string, v any) error {
	data, err := readExisting(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w: %v", path, ErrCorrupt, err)
	}
	return nil
}

// WriteJSONFile writes v to path atomically (temp, fsync, rename, fsync
// dir) as 2-space-indented JSON, creating missing directories 0700 and the
// file 0600. It takes no lock: use Store.UpdateJSONFile when several
// processes may write path.
func WriteJSONFile(path string, v any) error {
	data, err := marshalFile(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := mkdirs(filepath.Dir(path)); err != nil {
		return err
	}
	return (&Store{}).writeAtomic(path, data)
}

// UpdateJSON is a locked read-modify-write of one JSON file of ours (the
// supervisor's state file, for instance). Under path's lock directory it
// decodes path into a T (the zero T when the file is missing), calls fn,
// and writes the result atomically (2-space indent, 0600, directories
// 0700). If fn returns an error nothing is written. It returns the value
// written. Directories at or below a team's own directory are made only
// while the team's directory exists (a deleted team stays deleted).
func UpdateJSON[T any](s *Store, path string, fn func(*T) error) (T, error) {
	var v T
	if err := s.mkdirsFor(filepath.Dir(path)); err != nil {
		return v, err
	}
	err := s.transform([]string{path}, func(t *tx) error {
		v = *new(T)
		err := ReadJSONFile(path, &v)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		data, err := marshalFile(v)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		t.put(path, data)
		return nil
	})
	return v, err
}

// UpdateJSONFile is the untyped form of UpdateJSON: under path's lock it
// decodes path into cur (left as is when the file is missing), calls fn
// with cur, and writes what fn returns atomically. If fn returns an error
// nothing is written.
func (s *Store) UpdateJSONFile(path string, cur any, fn func(cur any) (any, error)) error {
	if err := s.mkdirsFor(filepath.Dir(path)); err != nil {
		return err
	}
	return s.transform([]string{path}, func(t *tx) error {
		err := ReadJSONFile(path, cur)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		data, err := marshalFile(next)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		t.put(path, data)
		return nil
	})
}
