package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// Demo accounts, as seeded by store.SeedDemo.
const (
	anaEmail   = "ana@demo.tack"
	anaPass    = "tack-demo-ana"
	benEmail   = "ben@demo.tack"
	benPass    = "tack-demo-ben"
	chloeEmail = "chloe@demo.tack"
	chloePass  = "tack-demo-chloe"
)

// app is a Tack server on a fresh, seeded database.
type app struct {
	t    *testing.T
	ctx  context.Context
	st   *store.Store
	srv  *httptest.Server
	e    http.Handler // the server's handler, for requests sent without a network
	demo *store.Project
	ana  *store.User
	ben  *store.User
	chlo *store.User
}

// newApp serves Tack over HTTP on a fresh SQLite file seeded with the demo workspace.
// The test fails at the end if the server logged an error (every 5xx is logged).
func newApp(t *testing.T) *app {
	t.Helper()
	return newAppWith(t, appOptions{})
}

// appOptions changes how newAppWith builds the server.
type appOptions struct {
	// cfg is the handlers' configuration; with a Logger of its own the test checks the
	// logs itself.
	cfg handlers.Config
	// now, when set, is the store's clock from before the server starts.
	now func() time.Time
	// activeSprint keeps the demo's active sprint (see endDemoSprints).
	activeSprint bool
}

// endDemoSprints completes the demo's active sprints, their unfinished tasks going to the
// backlog, so that the DEMO board shows all its tasks as the tests of the board itself
// (moves, filters, conflicts, live updates) expect: with an active sprint the board shows
// only that sprint's tasks by default, which sprints_test.go tests.
func endDemoSprints(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	ana, err := st.UserByEmail(ctx, anaEmail)
	if err != nil {
		t.Fatal(err)
	}
	demo, _, err := st.ProjectFor(ctx, ana.ID, "DEMO")
	if err != nil {
		t.Fatal(err)
	}
	active, err := st.ActiveSprints(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range active {
		if _, err := st.CompleteSprint(ctx, ana.ID, store.SprintCompletion{SprintID: s.ID, BaseVersion: s.Version, Default: store.DestBacklog}); err != nil {
			t.Fatalf("complete the demo's %s: %v", s.Name, err)
		}
	}
}

// newAppWith is newApp with options.
func newAppWith(t *testing.T, opt appOptions) *app {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenWith(ctx, filepath.Join(t.TempDir(), "tack.db"), store.OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SeedDemo(ctx); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	if !opt.activeSprint {
		endDemoSprints(t, st)
	}
	if opt.now != nil {
		st.Now = opt.now
	}
	logs := &syncBuffer{}
	cfg := opt.cfg
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	e, h := handlers.New(st, cfg)
	t.Cleanup(h.Close)
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		if s := logs.String(); s != "" {
			t.Errorf("server logged errors:\n%s", s)
		}
	})
	a := &app{t: t, ctx: ctx, st: st, srv: srv, e: e}
	a.ana, a.ben, a.chlo = a.user(anaEmail), a.user(benEmail), a.user(chloeEmail)
	if a.demo, _, err = st.ProjectFor(ctx, a.ana.ID, "DEMO"); err != nil {
		t.Fatalf("project DEMO: %v", err)
	}
	return a
}

func (a *app) user(email string) *store.User {
	a.t.Helper()
	u, err := a.st.UserByEmail(a.ctx, email)
	if err != nil {
		a.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// task returns the stored state of a DEMO task by key.
func (a *app) task(key string) *store.Task {
	a.t.Helper()
	tk, err := a.st.TaskByKey(a.ctx, a.demo, key)
	if err != nil {
		a.t.Fatalf("task %s: %v", key, err)
	}
	return tk
}

// eventCount returns how many events the log holds.
func (a *app) eventCount() int {
	a.t.Helper()
	events, err := a.st.Events(a.ctx, 0, 100000)
	if err != nil {
		a.t.Fatalf("events: %v", err)
	}
	return len(events)
}

// browser is an HTTP client that behaves like a person's browser: it keeps cookies,
// does not follow redirects (so tests can see them), and sends forms with the CSRF
// token of the last page it loaded.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	token  string
}

func (a *app) browser() *browser {
	a.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return &browser{t: a.t, base: a.srv.URL, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a fetched page.
type response struct {
	Method   string
	Path     string
	Status   int
	Header   http.Header
	Body     string
	Doc      *goquery.Document
	Location string
}

// Text returns the visible text of the selection with whitespace collapsed.
func (r *response) Text(selector string) string {
	return strings.Join(strings.Fields(r.Doc.Find(selector).Text()), " ")
}

// do sends one request. form, when not nil, is sent as an urlencoded body as is: no
// CSRF token is added.
func (b *browser) do(method, path string, form url.Values, header http.Header) *response {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		b.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		b.t.Fatalf("%s %s: parse HTML: %v", method, path, err)
	}
	r := &response{Method: method, Path: path, Status: res.StatusCode, Header: res.Header,
		Body: buf.String(), Doc: doc, Location: res.Header.Get("Location")}
	if tok, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && tok != "" {
		b.token = tok
	}
	return r
}

// get loads a page.
func (b *browser) get(path string) *response {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

// post sends a form with the CSRF token of the last page, unless form sets _csrf itself.
func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", b.token)
	}
	return b.do(http.MethodPost, path, form, nil)
}

// follow loads the page a redirect points to.
func (b *browser) follow(r *response) *response {
	b.t.Helper()
	if r.Location == "" {
		b.t.Fatalf("%s %s: status %d is not a redirect", r.Method, r.Path, r.Status)
	}
	return b.get(r.Location)
}

// submit fills the form matched by selector on page r as a browser would (hidden
// inputs, selected options, textareas), sets the given fields and posts it to its action.
func (b *browser) submit(r *response, selector string, set map[string]string) *response {
	b.t.Helper()
	form := r.Doc.Find(selector)
	if form.Length() != 1 {
		b.t.Fatalf("%s: want one form %q, found %d", r.Path, selector, form.Length())
	}
	values := formValues(form)
	for k, v := range set {
		values.Set(k, v)
	}
	action := form.AttrOr("action", r.Path)
	if !strings.EqualFold(form.AttrOr("method", "get"), "post") {
		b.t.Fatalf("%s: form %q is not a POST form", r.Path, selector)
	}
	return b.do(http.MethodPost, action, values, nil)
}

// formValues collects what a browser would submit for a form.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if _, disabled := s.Attr("disabled"); disabled {
			return
		}
		switch goquery.NodeName(s) {
		case "input":
			switch strings.ToLower(s.AttrOr("type", "text")) {
			case "submit", "button", "image", "reset", "file":
				return
			case "checkbox", "radio":
				if _, checked := s.Attr("checked"); checked {
					v.Add(name, s.AttrOr("value", "on"))
				}
				return
			}
			v.Add(name, s.AttrOr("value", ""))
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			if opt.Length() == 0 {
				return
			}
			val, ok := opt.Attr("value")
			if !ok {
				val = strings.TrimSpace(opt.Text())
			}
			v.Add(name, val)
		case "textarea":
			v.Add(name, s.Text())
		}
	})
	return v
}

// signIn signs in through the sign-in form and checks the redirect to the projects.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	page := b.get("/signin")
	expectStatus(b.t, page, http.StatusOK)
	r := b.submit(page, `form[action="/signin"]`, map[string]string{"email": email, "password": password})
	expectRedirect(b.t, r, "/projects")
}

// signUp creates an account through the sign-up form, which also signs it in.
func (b *browser) signUp(email, name, password string) {
	b.t.Helper()
	page := b.get("/signup")
	expectStatus(b.t, page, http.StatusOK)
	r := b.submit(page, `form[action="/signup"]`, map[string]string{"email": email, "name": name, "password": password})
	expectRedirect(b.t, r, "/projects")
}

// expectStatus fails the test now when r has another status.
func expectStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d; page says: %.400s", r.Method, r.Path, r.Status, want,
			strings.Join(strings.Fields(r.Doc.Find("main").Text()), " "))
	}
}

// expectRedirect fails the test now unless r is a 303 to location.
func expectRedirect(t *testing.T, r *response, location string) {
	t.Helper()
	expectStatus(t, r, http.StatusSeeOther)
	if r.Location != location {
		t.Fatalf("%s %s: redirect to %q, want %q", r.Method, r.Path, r.Location, location)
	}
}

// expectText fails the test unless the text of selector on r contains every want.
func expectText(t *testing.T, r *response, selector string, want ...string) {
	t.Helper()
	got := r.Text(selector)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s %s: %s text does not contain %q; it is: %.600s", r.Method, r.Path, selector, w, got)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers, for server logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
