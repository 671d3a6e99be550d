package claudeteams_test

// This test enforces the import rules of DESIGN.md, in the spirit of Go's own
// go/build/deps_test.go: the allowed graph between our packages is a table,
// and every import of ours that is not in the table fails the test.

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const modulePath = "github.com/f9449b24/claude-teams"

// allowed lists, for each package of ours (its directory), the packages of
// ours it may import. A package missing from the table may import nothing
// of ours, except cmd/..., which wires everything. Test files may also
// import the packages of testOnly.
var allowed = map[string][]string{
	"protocol": {},
	"tmuxcc":   {},
	"backends": {},
	// The owner loop: it wires the layers below.
	"supervisor": {"tmuxcc", "backends", "protocol", "supervisor/clock", "supervisor/policy",
		"supervisor/statussock", "supervisor/offline", "supervisor/statefile", "supervisor/tmuxconv",
		"supervisor/proctree", "supervisor/layout", "protocol/dirwatch"},
	// Pure policy: no tmux, no files, no goroutines (see forbiddenStd).
	"supervisor/policy":     {"protocol", "backends"},
	"supervisor/clock":      {},
	"supervisor/statefile":  {"protocol"},
	"supervisor/tmuxconv":   {"protocol", "supervisor/proctree"},
	"supervisor/proctree":   {},
	"supervisor/statussock": {"protocol", "supervisor/tmuxconv"},
	// Offline status: no tmuxcc, so the status CLI reads a team without it.
	"supervisor/offline":            {"protocol", "supervisor/statefile", "supervisor/tmuxconv"},
	"supervisor/internal/fakeclock": {"supervisor/clock"},
	"tmuxcc/tmuxtest":               {},
	"supervisor/usertest":           {},
	// Our layout of teammates beside a lead in a person's window.
	"supervisor/layout": {"tmuxcc"},
	"mcp":               {"protocol", "backends", "protocol/dirwatch"},
	// Change notification for mcp and the supervisor's work watcher.
	"protocol/dirwatch": {},
}

// testOnly are packages only test files import; any test file may.
var testOnly = []string{"supervisor/clock", "supervisor/internal/fakeclock", "tmuxcc/tmuxtest", "supervisor/usertest"}

// forbiddenStd lists standard packages a package of ours must not import
// (pure policy touches no files, processes, sockets or goroutine plumbing).
var forbiddenStd = map[string][]string{
	"supervisor/policy": {"os", "os/exec", "net", "sync", "syscall", "io/fs"},
}

func TestImportRules(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if dir == "." || dir == "cmd" || strings.HasPrefix(dir, "cmd/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rules, known := allowed[dir]
		if !known {
			t.Errorf("%s: package %s is not in the import table", path, dir)
		}
		isTest := strings.HasSuffix(path, "_test.go")
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if contains(forbiddenStd[dir], p) && !isTest {
				t.Errorf("%s imports %s; %s must not", path, p, dir)
			}
			if !strings.HasPrefix(p, modulePath+"/") {
				continue
			}
			dep := strings.TrimPrefix(p, modulePath+"/")
			if dep == dir || (isTest && contains(testOnly, dep)) {
				continue
			}
			if !contains(rules, dep) {
				ok := append([]string(nil), rules...)
				sort.Strings(ok)
				t.Errorf("%s imports %s; %s may import only %v of ours", path, p, dir, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
