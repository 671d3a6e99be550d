package backends

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An attached teammate's sessions live in the opencode server it attached
// to (OPENCODE_SERVER_URL), so we ask that server over its HTTP API
// (measured with `opencode serve` 1.18.33, 2026-12-03; the OpenAPI
// document is at /doc):
//
//   - `GET /session?directory=D&roots=true&start=MS&search=S` lists
//     Session objects {"id":"ses_…","directory","parentID" (subagents),
//     "title","time":{"created","updated"},…}, most recently updated
//     first. The server resolves D's symlinks itself; roots=true leaves
//     subagent sessions out; start keeps sessions updated since MS (ms);
//     search matches the title.
//   - `GET /session/{id}` returns one Session, or 404
//     {"name":"NotFoundError","data":{"message":"Session not found: …"}}.
//   - `GET /session/{id}/message` returns [{"info":{"role"},"parts":
//     [{"type":"text","text":…}]}], oldest first (its limit keeps the
//     newest, so we read the whole list, bounded).
//
// Without OPENCODE_SERVER_PASSWORD the server is unsecured; with it, it
// wants HTTP basic auth with user OPENCODE_SERVER_USERNAME (default
// "opencode", from the binary's own option text) and answers 401
// otherwise. `opencode run --attach --title <agent id>` names the
// session after the teammate.

// openCodeServerTimeout bounds one request to an opencode server, and
// maxServerBody the body we read from it.
const (
	openCodeServerTimeout = 30 * time.Second
	maxServerBody         = 16 << 20
)

// openCodeServerTransport talks to opencode servers: no proxy (nothing
// below cmd reads the environment), bounded dial and header waits.
var openCodeServerTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: openCodeServerTimeout,
	MaxIdleConns:          4,
	IdleConnTimeout:       30 * time.Second,
}

// openCodeServerSession is the part of a Session object we read.
type openCodeServerSession struct {
	ID        string `json:"id"`
	Directory string `json:"directory"`
	ParentID  string `json:"parentID"`
	Title     string `json:"title"`
	Time      struct {
		Created int64 `json:"created"`
	} `json:"time"`
}

// errServerStatus is an opencode server's answer other than 200.
type errServerStatus struct {
	url    string
	status int
	msg    string
}

func (e *errServerStatus) Error() string {
	return fmt.Sprintf("opencode server: GET %s: %s: %s", e.url, http.StatusText(e.status), e.msg)
}

// openCodeServerGet fetches path (elements already validated) with query
// from the attached server and decodes its JSON answer into v. Redirects
// are followed only within the server's scheme and host.
func (c Config) openCodeServerGet(ctx context.Context, query url.Values, v any, path ...string) error {
	if err := checkServerURL(c.OpenCodeServerURL); err != nil {
		return err
	}
	base, err := url.Parse(c.OpenCodeServerURL)
	if err != nil {
		return fmt.Errorf("OPENCODE_SERVER_URL %q: %w", c.OpenCodeServerURL, err)
	}
	u := base.JoinPath(path...)
	u.RawQuery, u.Fragment = query.Encode(), ""
	ctx, cancel := context.WithTimeout(ctx, openCodeServerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("opencode server: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	env := c.environ()
	if pw := env["OPENCODE_SERVER_PASSWORD"]; pw != "" {
		req.SetBasicAuth(cmp.Or(env["OPENCODE_SERVER_USERNAME"], "opencode"), pw)
	}
	client := &http.Client{Transport: openCodeServerTransport, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if r.URL.Scheme != base.Scheme || r.URL.Host != base.Host {
			return fmt.Errorf("refused a redirect from %s to another server, %s", base.Host, r.URL.Redacted())
		}
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("opencode server: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxServerBody+1))
	if err != nil {
		return fmt.Errorf("opencode server: GET %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Data struct {
				Message string `json:"message"`
			} `json:"data"`
		}
		msg := strings.TrimSpace(string(body[:min(len(body), 200)]))
		if json.Unmarshal(body, &e) == nil && e.Data.Message != "" {
			msg = e.Data.Message
		}
		return &errServerStatus{url: u.Redacted(), status: resp.StatusCode, msg: msg}
	}
	if len(body) > maxServerBody {
		return fmt.Errorf("opencode server: GET %s: answer longer than %d bytes", u.Redacted(), maxServerBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("opencode server: GET %s: unexpected answer (%d bytes): %w", u.Redacted(), len(body), err)
	}
	return nil
}

// findOpenCodeServerSession returns the id of attached teammate t's
// session started since then: a root session of the server titled with
// t's agent id, in t's directory, created since then, whose first user
// message names t's agent id. The oldest such session wins, as for a
// local teammate: it is the one this launch's `--title` run created; a
// newer one can only come from a later launch, which has its own since.
func (c Config) findOpenCodeServerSession(ctx context.Context, t Teammate, since time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, openCodeFindTimeout)
	defer cancel()
	q := url.Values{"directory": {t.Cwd}, "roots": {"true"}, "search": {t.AgentID},
		"start": {strconv.FormatInt(since.UnixMilli(), 10)}}
	var listed []openCodeServerSession
	if err := c.openCodeServerGet(ctx, q, &listed, "session"); err != nil {
		return "", fmt.Errorf("find session: %w", err)
	}
	dirs := openCodeDirs(t.Cwd)
	var cands []openCodeServerSession
	for _, s := range listed {
		if openCodeSessionRE.MatchString(s.ID) && s.Title == t.AgentID && s.ParentID == "" &&
			slices.Contains(dirs, s.Directory) && s.Time.Created >= since.UnixMilli() {
			cands = append(cands, s)
		}
	}
	slices.SortStableFunc(cands, func(a, b openCodeServerSession) int { return cmp.Compare(a.Time.Created, b.Time.Created) })
	marker := "(agent id " + t.AgentID + ")"
	for i, s := range cands {
		if i == maxOpenCodeExports || ctx.Err() != nil {
			break
		}
		var e openCodeExported
		if err := c.openCodeServerGet(ctx, url.Values{"directory": {t.Cwd}}, &e.Messages, "session", s.ID, "message"); err != nil {
			continue // vanished meanwhile, or unreadable: not provably ours
		}
		if strings.Contains(e.firstUserText(), marker) {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("find session: %w: the opencode server at %s has no session in %s since %s titled %s whose first message names it (%d listed, %d candidates)",
		ErrSessionNotFound, c.OpenCodeServerURL, t.Cwd, since.Format(time.RFC3339), t.AgentID, len(listed), len(cands))
}

// openCodeServerResumable asks the attached server for session
// t.SessionID: found in t's directory, it is resumable; not found (404),
// the teammate starts fresh and the reason names the server. When the
// server cannot tell (down, refused, other answers) the id is trusted,
// as for a local teammate.
func (c Config) openCodeServerResumable(ctx context.Context, t Teammate) (bool, string) {
	if !openCodeSessionRE.MatchString(t.SessionID) {
		return false, fmt.Sprintf("%q is not an opencode session id", t.SessionID)
	}
	var s openCodeServerSession
	err := c.openCodeServerGet(ctx, url.Values{"directory": {t.Cwd}}, &s, "session", t.SessionID)
	var st *errServerStatus
	switch {
	case errors.As(err, &st) && st.status == http.StatusNotFound:
		return false, fmt.Sprintf("the opencode server at %s has no session %s (%s)", c.OpenCodeServerURL, t.SessionID, st.msg)
	case err != nil:
		return true, ""
	case s.ID != t.SessionID || !slices.Contains(openCodeDirs(t.Cwd), s.Directory):
		return false, fmt.Sprintf("opencode session %s on the server at %s belongs to directory %s, not %s", t.SessionID, c.OpenCodeServerURL, s.Directory, t.Cwd)
	}
	return true, ""
}
