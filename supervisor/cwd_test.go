package supervisor

import "testing"

func TestEscapeDir(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/plain", "/plain"},
		{"/x#y", "/x##y"},
		{"/x#[y]", "/x#[y]"},   // tmux copies "#[" as it is
		{"/x##[y]", "/x##[y]"}, // and every run of '#' before '['
		{"/a#{b}", "/a##{b}"},
		{"/e#", "/e##"},
		{"/f##g#[h", "/f####g#[h"},
	} {
		if got := escapeDir(c.in); got != c.want {
			t.Errorf("escapeDir(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if err := checkDirText("/a\nb"); err == nil {
		t.Error("a newline in a working directory was accepted")
	}
	if err := checkStartPath(paneInfo{startPath: "/srv/x##[y]"}, "/srv/x#[y]"); err == nil {
		t.Error("a pane started elsewhere was accepted")
	}
}
