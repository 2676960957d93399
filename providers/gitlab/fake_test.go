package gitlab

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
)

// fakeGitLab is an httptest fake of GitLab's REST API v4 groups and members endpoints,
// written from GitLab's public docs: it checks the PRIVATE-TOKEN header, paginates with
// page/per_page (default 20, at most 100) and answers with Link (rel="next", "first",
// "last"), X-Next-Page, X-Page, X-Per-Page and X-Total headers, sends the RateLimit-*
// headers, and answers errors with GitLab's {"message": "..."} bodies. Groups are looked up
// by numeric id or URL-encoded full path.
type fakeGitLab struct {
	t     testing.TB
	srv   *providertest.Server
	token string

	mu       sync.Mutex
	groups   []*fakeGroup
	requests providertest.Counter   // by endpoint: groups, group, descendant_groups, members
	inject   map[string][]fakeReply // by "endpoint#page"
	// noLink drops the Link header, leaving X-Next-Page as the only pagination.
	noLink    bool
	remaining string
	reset     int64
	times     []time.Time
}

type fakeGroup struct {
	ID          int64
	Path        string // full path
	Name        string
	Description string
	Parent      int64 // 0: top level
	Members     []fakeMember
}

type fakeMember struct {
	ID              int64
	Username, Name  string
	State           string // default active
	Email           string
	MembershipState string // default active
}

type fakeReply struct {
	status int
	header map[string]string
	body   string
}

func newFakeGitLab(t testing.TB, groups ...*fakeGroup) *fakeGitLab {
	f := &fakeGitLab{t: t, token: "glpat-testtoken123", groups: groups,
		inject: map[string][]fakeReply{}, remaining: "1999", reset: time.Now().Add(time.Minute).Unix()}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	return f
}

func (f *fakeGitLab) failPage(endpoint string, page int, replies ...fakeReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := endpoint + "#" + strconv.Itoa(page)
	f.inject[key] = append(f.inject[key], replies...)
}

func (f *fakeGitLab) rateHeaders(w http.ResponseWriter) {
	f.mu.Lock()
	remaining, reset := f.remaining, f.reset
	f.mu.Unlock()
	h := w.Header()
	h.Set("RateLimit-Limit", "2000")
	h.Set("RateLimit-Observed", "1")
	h.Set("RateLimit-Remaining", remaining)
	h.Set("RateLimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("RateLimit-ResetTime", time.Unix(reset, 0).UTC().Format(http.TimeFormat))
}

func (f *fakeGitLab) fail(w http.ResponseWriter, status int, msg string) {
	f.rateHeaders(w)
	providertest.WriteJSON(w, status, map[string]string{"message": msg})
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("PRIVATE-TOKEN") != f.token {
		f.requests.Add("unauthorized")
		f.fail(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	if r.Method != http.MethodGet {
		f.fail(w, http.StatusMethodNotAllowed, "405 Method Not Allowed")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/groups")
	if !ok {
		f.fail(w, http.StatusNotFound, "404 Not Found")
		return
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case rest == "":
		f.list(w, r, "groups", func() []any {
			var out []any
			for _, g := range f.groups {
				out = append(out, f.groupJSON(g))
			}
			return out
		})
	case len(parts) == 1:
		g := f.lookup(parts[0])
		if g == nil {
			f.requests.Add("group")
			f.fail(w, http.StatusNotFound, "404 Group Not Found")
			return
		}
		if rep, ok := f.injected("group", 1); ok {
			f.reply(w, rep)
			return
		}
		f.rateHeaders(w)
		providertest.WriteJSON(w, http.StatusOK, f.groupJSON(g))
	case len(parts) == 2 && parts[1] == "descendant_groups":
		g := f.lookup(parts[0])
		if g == nil {
			f.fail(w, http.StatusNotFound, "404 Group Not Found")
			return
		}
		f.list(w, r, "descendant_groups", func() []any {
			var out []any
			for _, d := range f.groups {
				if f.below(d, g) {
					out = append(out, f.groupJSON(d))
				}
			}
			return out
		})
	case len(parts) == 2 && parts[1] == "members":
		g := f.lookup(parts[0])
		if g == nil {
			f.fail(w, http.StatusNotFound, "404 Group Not Found")
			return
		}
		f.list(w, r, "members/"+strconv.FormatInt(g.ID, 10), func() []any {
			var out []any
			for _, m := range g.Members {
				state, ms := m.State, m.MembershipState
				if state == "" {
					state = "active"
				}
				if ms == "" {
					ms = "active"
				}
				e := map[string]any{"id": m.ID, "username": m.Username, "name": m.Name, "state": state,
					"avatar_url": "https://secure.gravatar.com/avatar/x", "web_url": f.srv.URL + "/" + m.Username,
					"access_level": 30, "expires_at": nil, "created_at": "2024-01-01T00:00:00.000Z", "membership_state": ms}
				if m.Email != "" {
					e["email"] = m.Email
				}
				out = append(out, e)
			}
			return out
		})
	default:
		f.fail(w, http.StatusNotFound, "404 Not Found")
	}
}

// injected counts a request to endpoint ("groups", "members/7", …; counted without the
// "/id") and returns the reply injected for its page, if any: one for "endpoint#page"
// first, else one for the endpoint without its id.
func (f *fakeGitLab) injected(endpoint string, page int) (fakeReply, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	general, _, _ := strings.Cut(endpoint, "/")
	f.requests.Add(general)
	for _, key := range []string{endpoint + "#" + strconv.Itoa(page), general + "#" + strconv.Itoa(page)} {
		if q := f.inject[key]; len(q) > 0 {
			f.inject[key] = q[1:]
			return q[0], true
		}
	}
	return fakeReply{}, false
}

func (f *fakeGitLab) reply(w http.ResponseWriter, rep fakeReply) {
	f.rateHeaders(w)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	fmt.Fprint(w, rep.body)
}

// list serves one page of items with GitLab's offset pagination headers.
func (f *fakeGitLab) list(w http.ResponseWriter, r *http.Request, endpoint string, items func() []any) {
	q := r.URL.Query()
	perPage, page := 20, 1
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	perPage = min(max(perPage, 1), 100)
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	page = max(page, 1)
	if rep, ok := f.injected(endpoint, page); ok {
		f.reply(w, rep)
		return
	}
	f.mu.Lock()
	all := items()
	noLink := f.noLink
	f.mu.Unlock()
	start, end := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	pages := max(1, (len(all)+perPage-1)/perPage)
	link := func(p int) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath}
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = v.Encode()
		return u.String()
	}
	h := w.Header()
	var links []string
	if page < pages {
		links = append(links, fmt.Sprintf(`<%s>; rel="next"`, link(page+1)))
		h.Set("X-Next-Page", strconv.Itoa(page+1))
	} else {
		h.Set("X-Next-Page", "")
	}
	links = append(links, fmt.Sprintf(`<%s>; rel="first"`, link(1)), fmt.Sprintf(`<%s>; rel="last"`, link(pages)))
	if !noLink {
		h.Set("Link", strings.Join(links, ", "))
	}
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Total", strconv.Itoa(len(all)))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	f.rateHeaders(w)
	out := all[start:end]
	if out == nil {
		out = []any{}
	}
	providertest.WriteJSON(w, http.StatusOK, out)
}

// lookup finds a group by id or URL-encoded full path (must hold the lock or be called
// before concurrent use; groups are only changed by tests between syncs).
func (f *fakeGitLab) lookup(escaped string) *fakeGroup {
	key, err := url.PathUnescape(escaped)
	if err != nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.groups {
		if strconv.FormatInt(g.ID, 10) == key || g.Path == key {
			return g
		}
	}
	return nil
}

// below reports whether d is a descendant of g.
func (f *fakeGitLab) below(d, g *fakeGroup) bool {
	seen := map[int64]bool{}
	for p := d.Parent; p != 0 && !seen[p]; {
		if p == g.ID {
			return true
		}
		seen[p] = true
		var parent *fakeGroup
		for _, x := range f.groups {
			if x.ID == p {
				parent = x
			}
		}
		if parent == nil {
			return false
		}
		p = parent.Parent
	}
	return false
}

func (f *fakeGitLab) groupJSON(g *fakeGroup) map[string]any {
	var parent any
	if g.Parent != 0 {
		parent = g.Parent
	}
	name := g.Name
	if name == "" {
		name = g.Path[strings.LastIndex(g.Path, "/")+1:]
	}
	return map[string]any{"id": g.ID, "name": name, "path": g.Path[strings.LastIndex(g.Path, "/")+1:],
		"full_name": strings.ReplaceAll(g.Path, "/", " / "), "full_path": g.Path, "description": g.Description,
		"visibility": "private", "parent_id": parent, "web_url": f.srv.URL + "/groups/" + g.Path}
}
