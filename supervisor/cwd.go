package supervisor

import (
	"fmt"
	"strings"
	"unicode"
)

// A teammate's working directory travels to tmux in -c, which tmux 3.3a
// expands as a format (issue 10, item 6). escapeFormat's doubling of '#'
// is right for "#{", "#(" and the like, but a run of '#' that ends in '['
// is copied as it is (it could be a style, "#[fg=red]"): doubled, "/srv/x#[y]"
// became "/srv/x##[y]", a directory that does not exist, and tmux silently
// started the teammate in its own directory. escapeDir leaves those runs
// alone, and every created pane's start path (#{pane_start_path}, what tmux
// made of -c) is compared with the request: what tmux would not honour is
// refused, never run elsewhere.

// escapeDir protects a working directory given to tmux's -c.
func escapeDir(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '#' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '#' {
			j++
		}
		run := s[i:j]
		b.WriteString(run)
		if j == len(s) || s[j] != '[' {
			b.WriteString(run) // "##" is one literal '#'
		}
		i = j
	}
	return b.String()
}

// checkDirText refuses a working directory tmux cannot be given: a control
// character (a newline would end the command line) is never passed on.
func checkDirText(dir string) error {
	for _, r := range dir {
		if unicode.IsControl(r) {
			return fmt.Errorf("working directory %q holds control character %q: tmux cannot start a pane there", dir, r)
		}
	}
	return nil
}

// checkStartPath compares where tmux started a pane with the request.
func checkStartPath(p paneInfo, dir string) error {
	if p.startPath == "" || p.startPath == dir {
		return nil
	}
	return fmt.Errorf("working directory %q: tmux would start the teammate in %q instead; refused", dir, p.startPath)
}
