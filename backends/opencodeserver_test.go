package backends

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The sessions of the real opencode server recorded in testdata/opencode
// (server-*.json, see its README).
const (
	ocsW1        = "ses_dc342b5b2ffeGJ7xBtLrNW3ICQ" // titled w1@alpha, w1's instruction
	ocsW3        = "ses_dc342679cffeO3jqA4bt7ENVey" // titled w3@alpha, w3's instruction
	ocsW1Created = 1796315368013
	ocsRecDir    = "/tmp/ocs/w/proj"
)

// ocServer replays recorded answers of `opencode serve` over real HTTP,
// with cwd in place of the recorded directory. edit may change an answer
// (by request path); status, when set, answers every request with it.
type ocServer struct {
	t      *testing.T
	cwd    string
	auth   string // "user:password" the server wants; "" = unsecured
	edit   func(path string, body []byte) []byte
	status int
	srv    *httptest.Server

	mu   sync.Mutex
	reqs []*http.Request
}

func newOCServer(t *testing.T, cwd string) *ocServer {
	s := &ocServer{t: t, cwd: cwd}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *ocServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
	if s.auth != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u+":"+p != s.auth {
			w.Header().Set("WWW-Authenticate", `Basic realm="Secure Area"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if s.status != 0 {
		http.Error(w, "boom", s.status)
		return
	}
	name, status := "", http.StatusOK
	switch p := r.URL.Path; p {
	case "/session":
		name = "server-sessions.json"
	case "/session/" + ocsW1:
		name = "server-session-w1.json"
	case "/session/" + ocsW1 + "/message":
		name = "server-messages-w1.json"
	case "/session/" + ocsW3 + "/message":
		name = "server-messages-w3.json"
	default:
		name, status = "server-session-missing.json", http.StatusNotFound
	}
	data, err := os.ReadFile(filepath.Join("testdata", "opencode", name))
	if err != nil {
		s.t.Error(err)
		return
	}
	data = []byte(strings.ReplaceAll(string(data), ocsRecDir, s.cwd))
	if status == http.StatusNotFound {
		id := strings.TrimPrefix(r.URL.Path, "/session/")
		data = []byte(strings.ReplaceAll(string(data), "ses_missing0000", id))
	}
	if s.edit != nil {
		data = s.edit(r.URL.Path, data)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (s *ocServer) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs
}

// TestFindOpenCodeServerSession: over recorded answers of the real
// opencode server, an attached teammate's session is the oldest root
// session since the launch titled with its agent id, in its directory,
// whose first user message names it; the server's failures are errors.
func TestFindOpenCodeServerSession(t *testing.T) {
	since := time.UnixMilli(ocsW1Created - 2000)
	cases := []struct {
		name     string
		agent    string
		cwd      string
		since    time.Time
		auth     string // the server's
		environ  []string
		edit     func(path string, body []byte) []byte
		status   int
		url      string // "" = the test server's
		want     string
		err      string
		notFound bool
		reqs     int
	}{
		{name: "w1's session", want: ocsW1, reqs: 2},
		{name: "w3's session (title)", agent: "w3", want: ocsW3, reqs: 2},
		{name: "another teammate", agent: "w2", err: "2 listed, 0 candidates", notFound: true, reqs: 1},
		{name: "nothing since then", since: time.UnixMilli(ocsW1Created + 3_600_000), err: "0 candidates", notFound: true, reqs: 1},
		{name: "another directory", cwd: "/elsewhere", err: "0 candidates", notFound: true, reqs: 1},
		{name: "a subagent's session", notFound: true, err: "0 candidates", reqs: 1,
			edit: func(path string, b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), `"slug":`, `"parentID":"ses_parent1","slug":`))
			}},
		{name: "a malformed id is skipped", notFound: true, err: "0 candidates", reqs: 1,
			edit: func(path string, b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), `"id":"`+ocsW1+`"`, `"id":"ses_../../x"`))
			}},
		{name: "titled w1 but the first message names w3: the oldest that does wins", want: ocsW1, reqs: 2,
			edit: func(path string, b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), `"title":"w3@alpha"`, `"title":"w1@alpha"`))
			}},
		{name: "first message does not name it", notFound: true, err: "1 candidates", reqs: 2,
			edit: func(path string, b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), "(agent id w1@alpha)", "(agent id w9@alpha)"))
			}},
		{name: "password from our environment, default user", auth: "opencode:s3cret", environ: []string{"OPENCODE_SERVER_PASSWORD=s3cret"}, want: ocsW1, reqs: 2},
		{name: "password and user", auth: "me:s3cret", environ: []string{"OPENCODE_SERVER_PASSWORD=s3cret", "OPENCODE_SERVER_USERNAME=me"}, want: ocsW1, reqs: 2},
		{name: "no password for a secured server", auth: "opencode:s3cret", err: "Unauthorized", reqs: 1},
		{name: "server error", status: http.StatusInternalServerError, err: "Internal Server Error: boom", reqs: 1},
		{name: "not JSON", err: "unexpected answer", reqs: 1,
			edit: func(path string, b []byte) []byte { return []byte("<html>") }},
		{name: "answer too long", err: "longer than", reqs: 1,
			edit: func(path string, b []byte) []byte { return make([]byte, maxServerBody+10) }},
		{name: "not an http URL", url: "file:///etc/passwd", err: "is not an http(s) URL"},
		{name: "server down", url: "http://127.0.0.1:1", err: "opencode server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			srv := newOCServer(t, e.cwd)
			srv.auth, srv.edit, srv.status = tc.auth, tc.edit, tc.status
			e.c.OpenCodeServerURL = srv.srv.URL
			if tc.url != "" {
				e.c.OpenCodeServerURL = tc.url
			}
			e.c.Environ = append(e.c.Environ, tc.environ...)
			e.m.Name, e.m.AgentID = "w1", "w1@alpha"
			if tc.agent != "" {
				e.m.Name, e.m.AgentID = tc.agent, tc.agent+"@alpha"
			}
			if tc.cwd != "" {
				e.m.Cwd = tc.cwd
			}
			s := since
			if !tc.since.IsZero() {
				s = tc.since
			}
			id, err := e.c.FindSession(OpenCode, e.m, s)
			if tc.err == "" && (err != nil || id != tc.want) {
				t.Errorf("FindSession = %q, %v; want %s", id, err, tc.want)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, ErrSessionNotFound) != tc.notFound) {
				t.Errorf("FindSession = %q, %v; want an error with %q (not found: %v)", id, err, tc.err, tc.notFound)
			}
			reqs := srv.requests()
			if len(reqs) != tc.reqs {
				t.Errorf("%d requests, want %d", len(reqs), tc.reqs)
			}
			if len(reqs) > 0 && srv.auth == "" {
				q := reqs[0].URL.Query()
				if q.Get("directory") != e.m.Cwd || q.Get("roots") != "true" || q.Get("search") != e.m.AgentID || q.Get("start") == "" {
					t.Errorf("list query %q", reqs[0].URL.RawQuery)
				}
			}
		})
	}
}

// TestOpenCodeServerRedirect: a redirect within the server is followed,
// one to another host is refused and said so.
func TestOpenCodeServerRedirect(t *testing.T) {
	e := newResumeEnv(t)
	e.m.Name, e.m.AgentID = "w1", "w1@alpha"
	target := newOCServer(t, e.cwd)
	same := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/v2"); ok {
			r = r.Clone(r.Context())
			r.URL.Path = p
			target.serve(w, r)
			return
		}
		http.Redirect(w, r, "/v2"+r.URL.Path+"?"+r.URL.RawQuery, http.StatusFound)
	}))
	t.Cleanup(same.Close)
	e.c.OpenCodeServerURL = same.URL
	if id, err := e.c.FindSession(OpenCode, e.m, time.UnixMilli(0)); err != nil || id != ocsW1 {
		t.Errorf("redirect within the server: %q, %v", id, err)
	}
	before := len(target.requests())
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(other.Close)
	e.c.OpenCodeServerURL = other.URL
	_, err := e.c.FindSession(OpenCode, e.m, time.UnixMilli(0))
	if err == nil || !strings.Contains(err.Error(), "refused a redirect") || len(target.requests()) != before {
		t.Errorf("redirect to another host: %v, %d requests there", err, len(target.requests())-before)
	}
}

// TestOpenCodeServerResumable: the attached server is asked for the
// recorded session: there in the teammate's directory, it resumes; gone
// (404), it starts fresh naming the server; a server that cannot tell is
// trusted.
func TestOpenCodeServerResumable(t *testing.T) {
	cases := []struct {
		name, id string
		cwd      string
		status   int
		url      string
		want     bool
		why      string
	}{
		{name: "there", id: ocsW1, want: true},
		{name: "deleted", id: "ses_gone1234", why: "has no session ses_gone1234 (Session not found: ses_gone1234)"},
		{name: "in another directory", id: ocsW1, cwd: "/elsewhere", why: "belongs to directory"},
		{name: "server error", id: ocsW1, status: http.StatusBadGateway, want: true},
		{name: "server down", id: ocsW1, url: "http://127.0.0.1:1", want: true},
		{name: "bad id", id: "ses_../x", why: "must look like ses_"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newResumeEnv(t)
			srv := newOCServer(t, e.cwd)
			srv.status = tc.status
			e.c.OpenCodeServerURL = srv.srv.URL
			if tc.url != "" {
				e.c.OpenCodeServerURL = tc.url
			}
			e.m.SessionID = tc.id
			if tc.cwd != "" {
				e.m.Cwd = tc.cwd
			}
			ok, why := e.c.Resumable(OpenCode, e.m)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Resumable = %v, %q; want %v, %q", ok, why, tc.want, tc.why)
			}
			if !tc.want && tc.why != "" && strings.Contains(tc.why, "no session") && !strings.Contains(why, e.c.OpenCodeServerURL) {
				t.Errorf("reason %q does not name the server", why)
			}
		})
	}
}
