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

// allowed lists, for each top-level package of ours, the packages of ours it
// may import. A package missing from the table may import nothing of ours,
// except cmd/..., which wires everything.
var allowed = map[string][]string{
	"protocol":   {},
	"tmuxcc":     {},
	"backends":   {},
	"supervisor": {"tmuxcc", "backends", "protocol"},
	"mcp":        {"protocol", "backends"},
	// A subpackage with its own row is checked against it, not its parent's.
	"supervisor/layout": {"tmuxcc"},
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
		parts := strings.Split(filepath.ToSlash(path), "/")
		top := parts[0]
		if len(parts) > 2 {
			if _, ok := allowed[parts[0]+"/"+parts[1]]; ok {
				top = parts[0] + "/" + parts[1]
			}
		}
		if top == "cmd" || !strings.Contains(filepath.ToSlash(path), "/") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rules, known := allowed[top]
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(p, modulePath+"/") {
				continue
			}
			dep := strings.Split(strings.TrimPrefix(p, modulePath+"/"), "/")[0]
			if dep == top || strings.HasPrefix(top, dep+"/") && strings.HasPrefix(p, modulePath+"/"+top) {
				continue
			}
			if !known || !contains(rules, dep) {
				ok := append([]string(nil), rules...)
				sort.Strings(ok)
				t.Errorf("%s imports %s; %s may import only %v of ours", path, p, top, ok)
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
