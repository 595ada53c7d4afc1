package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// The browser tests drive the board in Chromium: live updates between two people,
// the conflict fragment, keyboard-only moves, the board without JavaScript, axe-core
// and reconnecting the live stream. They share one browser process; each person gets
// a tab in a browser context of their own, so cookies are separate.

const (
	e2eChromium = "/usr/bin/chromium"
	// e2eWait bounds how long a page may take to reach an expected state. It is a
	// failure timeout only: every wait ends as soon as the state is reached.
	e2eWait = 10 * time.Second
	// e2eGateCookie names the person a tab belongs to, for e2eStreamGate.
	e2eGateCookie = "tack_e2e_user"
)

// Demo people, as store.SeedDemo creates them.
var (
	e2eAna = store.DemoUsers[0] // admin
	e2eBen = store.DemoUsers[1] // member
)

// TestE2EBoard runs the browser tests against one shared Chromium. The live-update
// latency check runs first and alone; the others then run in parallel, each with its
// own server and database. With TACK_SCREENSHOT_DIR set, they save PNG screenshots
// there: the board, an open Move menu, a picked-up card and the conflict fragment.
func TestE2EBoard(t *testing.T) {
	browser := e2eStartBrowser(t)
	seed := e2eSeed(t)
	t.Run("LiveUpdateReachesOtherBoard", func(t *testing.T) { e2eLiveUpdate(t, browser, seed) })
	t.Run("SimultaneousDragsOfOneCard", func(t *testing.T) { e2eSimultaneousDrags(t, browser, seed) })
	t.Run("BacklogLiveUpdate", func(t *testing.T) { e2eBacklogLive(t, browser, seed) })
	t.Run("BacklogSimultaneousPlans", func(t *testing.T) { e2eBacklogRace(t, browser, seed) })
	for _, tc := range []struct {
		name string
		run  func(*testing.T, context.Context, string)
	}{
		{"ConflictThenMoveAnyway", e2eConflict},
		{"KeyboardOnly", e2eKeyboard},
		{"WithoutJavaScript", e2eNoJavaScript},
		{"Axe", e2eAxe},
		{"ReconnectResyncs", e2eReconnect},
		{"CardPanelEditsInPlace", e2ePanel},
		{"InvitationPagesAxe", e2eInvitationPagesAxe},
		{"WorkflowConflictAxe", e2eWorkflowConflictAxe},
		{"MyWorkLive", e2eMyWorkLive},
		{"PasswordResetLinkWorksOnce", e2ePasswordReset},
		{"LandingPageAxe", e2eLanding},
		{"NewProjectLandsOnBoard", e2eNewProject},
		{"ListTableAxe", e2eListTable},
		{"Density", e2eDensity},
		{"PressHoldsLiveSwaps", e2ePressHoldsLiveSwaps},
		{"BacklogDrag", e2eBacklogDrag},
		{"BacklogKeyboard", e2eBacklogKeyboard},
		{"BacklogWithoutJavaScript", e2eBacklogNoJavaScript},
		{"BacklogAxe", e2eBacklogAxe},
		{"SprintLifecycle", e2eSprintLifecycle},
		{"SprintPagesAxe", e2eSprintPagesAxe},
		{"LogWorkFromTaskPage", e2eLogWorkFromTaskPage},
		{"LogWorkByKeyboard", e2eLogWorkByKeyboard},
		{"TimeWithoutJavaScript", e2eTimeWithoutJavaScript},
		{"TimeAxe", e2eTimeAxe},
		{"TimesheetAxe", e2eTimesheetAxe},
		{"TimesheetKeyboard", e2eTimesheetKeyboard},
		{"BoardAsOf", e2eBoardAsOf},
		{"BacklogAsOf", e2eBacklogAsOf},
		{"FlowReport", e2eFlowReport},
		{"ReportPagesAxe", e2eReportPagesAxe},
		{"ReportKeyboard", e2eReportKeyboard},
		{"ReportPrintPDF", e2eReportPrintPDF},
		{"Velocity", e2eVelocity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, browser, seed)
		})
	}
}

// e2eStartBrowser starts the Chromium every browser test shares; it stops when t ends.
// Without Chromium the tests are skipped, except on CI where they fail.
func e2eStartBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(e2eChromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need %s on CI (make test-deps installs it): %v", e2eChromium, err)
		}
		t.Skipf("browser tests skipped: %s not found; install Debian's chromium (make test-deps) to run them", e2eChromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(e2eChromium),
		chromedp.Headless,
		chromedp.NoFirstRun,
		// The machine has no internet: without these Chromium keeps trying to reach it.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	// The first Run starts the browser and binds it to this context: no timeout here.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", e2eChromium, err)
	}
	return browser
}

// --- Server --------------------------------------------------------------------------

// e2eServer is Tack on a fresh, seeded database, served over HTTP behind a gate that
// can cut people's live streams.
type e2eServer struct {
	t    *testing.T
	url  string
	st   *store.Store
	demo *store.Project
	gate *e2eStreamGate
}

// e2eSeed creates the demo workspace once and returns a copy's path for e2eNewServer:
// seeding hashes three passwords, which takes seconds under the race detector.
func e2eSeed(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenWith(ctx, filepath.Join(dir, "seed-live.db"), store.OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	if _, err := st.SeedDemo(ctx); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	endDemoSprints(t, st)
	seed := filepath.Join(dir, "seed.db")
	if _, err := st.DB().ExecContext(ctx, `VACUUM INTO ?`, seed); err != nil {
		t.Fatalf("copy the seeded database: %v", err)
	}
	return seed
}

// e2eNewServer serves Tack on a fresh copy of the seeded database.
func e2eNewServer(t *testing.T, seed string) *e2eServer {
	t.Helper()
	return e2eNewServerWith(t, seed, handlers.Config{})
}

// e2eNewServerWith is e2eNewServer with a configuration (its Logger is the test's).
func e2eNewServerWith(t *testing.T, seed string, cfg handlers.Config) *e2eServer {
	t.Helper()
	ctx := context.Background()
	db, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tack.db")
	if err := os.WriteFile(path, db, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWith(ctx, path, store.OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	ana, err := st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatalf("user %s: %v", e2eAna.Email, err)
	}
	demo, _, err := st.ProjectFor(ctx, ana.ID, "DEMO")
	if err != nil {
		t.Fatalf("project DEMO: %v", err)
	}
	logs := &e2eLog{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	e, h := handlers.New(st, cfg)
	gate := &e2eStreamGate{}
	srv := httptest.NewServer(gate.wrap(e))
	// Tabs opened later are closed before this runs (cleanups run last-in first-out).
	t.Cleanup(func() {
		h.Close()
		gate.releaseAll()
		srv.Close()
		if s := logs.String(); s != "" {
			t.Errorf("server logged errors:\n%s", s)
		}
	})
	return &e2eServer{t: t, url: srv.URL, st: st, demo: demo, gate: gate}
}

// task returns the stored state of a task.
func (s *e2eServer) task(id string) *store.Task {
	s.t.Helper()
	tk, err := s.st.Task(context.Background(), id)
	if err != nil {
		s.t.Fatalf("task %s: %v", id, err)
	}
	return tk
}

// e2eLog collects what the server logs.
type e2eLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *e2eLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *e2eLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// e2eStreamGate stands in front of the server and can cut one person's live stream
// (the person is named by the e2eGateCookie their tab carries). cut ends the open
// stream, then, until restore, either refuses new stream requests with 503 (as a
// restarting server does) or leaves them unanswered (as a stalled network does).
// Other requests always pass.
type e2eStreamGate struct {
	mu      sync.Mutex
	streams map[string]map[*context.CancelFunc]bool // open streams by person
	blocked map[string]*e2eBlock
}

type e2eBlock struct {
	refuse   bool
	released chan struct{}
}

func (g *e2eStreamGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/board/stream") {
			next.ServeHTTP(w, r)
			return
		}
		who := ""
		if c, err := r.Cookie(e2eGateCookie); err == nil {
			who = c.Value
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		for {
			g.mu.Lock()
			b := g.blocked[who]
			if b == nil {
				if g.streams == nil {
					g.streams = map[string]map[*context.CancelFunc]bool{}
				}
				if g.streams[who] == nil {
					g.streams[who] = map[*context.CancelFunc]bool{}
				}
				g.streams[who][&cancel] = true
				g.mu.Unlock()
				break
			}
			g.mu.Unlock()
			if b.refuse {
				http.Error(w, "live stream refused by the test", http.StatusServiceUnavailable)
				return
			}
			select {
			case <-b.released:
			case <-ctx.Done():
				return
			}
		}
		defer func() {
			g.mu.Lock()
			delete(g.streams[who], &cancel)
			g.mu.Unlock()
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cut ends who's open streams and blocks new ones until restore.
func (g *e2eStreamGate) cut(who string, refuse bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked == nil {
		g.blocked = map[string]*e2eBlock{}
	}
	if g.blocked[who] == nil {
		g.blocked[who] = &e2eBlock{refuse: refuse, released: make(chan struct{})}
	}
	for cancel := range g.streams[who] {
		(*cancel)()
	}
}

// restore lets who's streams through again.
func (g *e2eStreamGate) restore(who string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.blocked[who]; b != nil {
		close(b.released)
		delete(g.blocked, who)
	}
}

// releaseAll restores everyone, so that held requests end before the server closes.
func (g *e2eStreamGate) releaseAll() {
	g.mu.Lock()
	var all []string
	for who := range g.blocked {
		all = append(all, who)
	}
	g.mu.Unlock()
	for _, who := range all {
		g.restore(who)
	}
}

// --- People in tabs ------------------------------------------------------------------

// e2eUser is one person signed in, in a tab of their own.
type e2eUser struct {
	t   *testing.T
	srv *e2eServer
	who string // "ana", "ben": the name in failure messages and for the stream gate
	ctx context.Context

	mu         sync.Mutex
	exceptions []string // uncaught JavaScript exceptions in the tab
	cancel     func()   // closes a tab opened by newTab
}

// signIn opens a tab in a browser context of its own (own cookies), signs du in
// through the real form and returns them. With js false the tab runs no page scripts.
func (s *e2eServer) signIn(browser context.Context, du store.DemoUser, js bool) *e2eUser {
	s.t.Helper()
	t := s.t
	who := strings.ToLower(strings.Fields(du.Name)[0])
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	u := &e2eUser{t: t, srv: s, who: who, ctx: tab}
	t.Cleanup(func() {
		cancel()
		u.mu.Lock()
		defer u.mu.Unlock()
		for _, e := range u.exceptions {
			t.Errorf("%s's page threw: %s", who, e)
		}
	})
	if err := chromedp.Do(tab); err != nil { // opens the tab; no timeout here
		t.Fatalf("%s: open tab: %v", who, err)
	}
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			u.mu.Lock()
			u.exceptions = append(u.exceptions, text)
			u.mu.Unlock()
		}
	}()
	u.call("viewport", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
	})
	if !js {
		u.call("disable JavaScript", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		})
	}
	u.call("name the tab for the stream gate", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: e2eGateCookie, Value: who, URL: s.url})
		return err
	})
	u.do("sign in",
		chromedp.Navigate(s.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), du.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), du.Password),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)),
	)
	u.waitUntil("signed in", e2eWait, `location.pathname !== "/signin" && document.readyState === "complete"`)
	return u
}

// call runs f with a failure timeout and fails the test on error.
func (u *e2eUser) call(what string, f func(ctx context.Context) error) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, e2eWait)
	defer cancel()
	if err := f(ctx); err != nil {
		u.t.Fatalf("%s: %s: %v", u.who, what, err)
	}
}

// do runs actions in u's tab.
func (u *e2eUser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	u.call(what, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) })
}

// e2eEval evaluates js in u's tab and decodes its value.
func e2eEval[T any](u *e2eUser, js string, opts ...chromedp.EvaluateOption) T {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, e2eWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		u.t.Fatalf("%s: evaluate %s: %v", u.who, e2eShort(js), err)
	}
	return v
}

// accessibleName is the name Chromium gives the element sel selects, as a screen reader
// gets it (aria-labelledby, generated text and all).
func (u *e2eUser) accessibleName(sel string) string {
	u.t.Helper()
	var name string
	u.call("accessible name of "+sel, func(ctx context.Context) error {
		el, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: fmt.Sprintf("document.querySelector(%q)", sel)})
		if err != nil {
			return err
		}
		if el.Result == nil || el.Result.ObjectID == "" {
			return fmt.Errorf("no element %s", sel)
		}
		no := false
		tree, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: el.Result.ObjectID, FetchRelatives: &no})
		if err != nil {
			return err
		}
		if len(tree.Nodes) == 0 || tree.Nodes[0].Name == nil {
			return fmt.Errorf("no accessibility node for %s", sel)
		}
		return json.Unmarshal([]byte(tree.Nodes[0].Name.Value), &name)
	})
	return name
}

// exec runs js in u's tab for its effect.
func (u *e2eUser) exec(js string) {
	u.t.Helper()
	e2eEval[chromedp.Void](u, js)
}

// waitUntil polls the boolean expression js until it holds, and fails with a
// description of the page after timeout. A page that is navigating counts as "not yet".
func (u *e2eUser) waitUntil(what string, timeout time.Duration, js string) {
	u.t.Helper()
	if err := u.poll(time.Now().Add(timeout), js); err != nil {
		u.t.Fatalf("%s: %s: not reached within %v: %v\npage: %s", u.who, what, timeout, err, u.describe())
	}
}

// poll evaluates js every 20 ms until it is true or the deadline passes.
func (u *e2eUser) poll(deadline time.Time, js string) error {
	var last error
	for {
		ctx, cancel := context.WithDeadline(u.ctx, deadline.Add(time.Second))
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last == nil {
				last = errors.New("still false")
			}
			return last
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describe says what the page shows, for failure messages.
func (u *e2eUser) describe() string {
	ctx, cancel := context.WithTimeout(u.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const cols = Array.from(document.querySelectorAll("#board section.board-column")).map(s =>
			s.dataset.column + ": " + Array.from(s.querySelectorAll("ul.cards > li.card")).map(c =>
				(c.dataset.key || c.querySelector(".card-link small").textContent) + (c.classList.contains("conflict") ? "(conflict)" : "")).join(" "));
		const a = document.activeElement;
		const live = document.getElementById("live");
		return [location.pathname + location.search,
			"columns: " + cols.join(" | "),
			"announcer: " + (document.getElementById("announcer") || {}).textContent,
			"focus: " + (a ? a.outerHTML.slice(0, 160) : "none"),
			"connected: " + (live ? live.dataset.connected : "no #live")].join("\n  ");
	})()`))
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	return s
}

func e2eShort(js string) string {
	js = strings.Join(strings.Fields(js), " ")
	if len(js) > 120 {
		js = js[:120] + "…"
	}
	return js
}

// --- The board -----------------------------------------------------------------------

// openBoard loads the DEMO board and, with JavaScript on, waits for its live stream.
func (u *e2eUser) openBoard(live bool) {
	u.t.Helper()
	u.do("open the board", chromedp.Navigate(u.srv.url+"/projects/DEMO/board"))
	u.waitUntil("board shown", e2eWait, `document.querySelectorAll("#board section.board-column").length === 4`)
	if live {
		u.waitConnected(true)
	}
}

// waitConnected waits until the board's live stream is open (or closed).
func (u *e2eUser) waitConnected(open bool) {
	u.t.Helper()
	want := "false"
	if open {
		want = "true"
	}
	u.waitUntil("live stream connected="+want, 15*time.Second, `document.getElementById("live").dataset.connected === "`+want+`"`)
}

// columns returns the card ids of each column, in order.
func (u *e2eUser) columns() map[string][]string {
	u.t.Helper()
	return e2eEval[map[string][]string](u, `(() => {
		const out = {};
		document.querySelectorAll("#board section.board-column").forEach(s => {
			out[s.dataset.column] = Array.from(s.querySelectorAll("ul.cards > li.card")).map(c => c.id.slice(5));
		});
		return out;
	})()`)
}

// e2eCard is a card as the page shows it.
type e2eCard struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Version string `json:"version"`
}

// cardAt returns the i-th card of a column.
func (u *e2eUser) cardAt(column string, i int) e2eCard {
	u.t.Helper()
	return e2eEval[e2eCard](u, fmt.Sprintf(`(() => {
		const c = document.querySelectorAll("#col-%s ul.cards > li.card")[%d];
		return {id: c.id.slice(5), key: (c.dataset.key || c.querySelector(".card-link small").textContent), version: c.dataset.version};
	})()`, column, i))
}

// inColumn is a JS expression: the card is in the column.
func inColumn(id, column string) string {
	return fmt.Sprintf(`document.querySelector('#col-%s ul.cards > li.card#task-%s') !== null`, column, id)
}

// noConflictShown is a JS expression: no conflict fragment is on the page.
const noConflictShown = `document.querySelector("li.card.conflict") === null`

// moveWithMenu moves a card to a column through its Move menu, with clicks.
func (u *e2eUser) moveWithMenu(id, column string) {
	u.t.Helper()
	u.do("move "+id+" to "+column+" with the Move menu",
		chromedp.Click(chromedp.CSS(`#task-`+id+` .move-button`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#task-%s .move-options button[value="column:%s"]`, id, column))),
	)
}

// drag drags a card into a column with real mouse events: press, moves, release.
func (u *e2eUser) drag(id, column string) {
	u.t.Helper()
	path := u.dragPath(id, column)
	u.call("drag "+id+" to "+column, func(ctx context.Context) error {
		_, err := path.run(ctx, nil)
		return err
	})
}

// e2eDragPath is where a drag presses and where it releases.
type e2eDragPath struct{ x0, y0, x1, y1 float64 }

// dragPath finds where to grab a card (on the card, not on its link or Move menu) and
// where to drop it: on the middle of the column's first card (or its empty list).
func (u *e2eUser) dragPath(id, column string) e2eDragPath {
	u.t.Helper()
	pts := e2eEval[[]float64](u, fmt.Sprintf(`(() => {
		const card = document.querySelector('li.card#task-%s');
		const r = card.getBoundingClientRect();
		let from = null;
		for (let y = r.top + 3; y < r.bottom - 2 && !from; y += 4) {
			for (let x = r.left + 3; x < r.right - 2 && !from; x += 6) {
				const el = document.elementFromPoint(x, y);
				if (el && card.contains(el) && !el.closest("a, summary, details, button, input")) from = [x, y];
			}
		}
		const list = document.querySelector("#col-%s ul.cards");
		const first = list.querySelector("li.card");
		const t = (first || list).getBoundingClientRect();
		if (!from) return [];
		return from.concat([t.left + t.width / 2, t.top + t.height / 2]);
	})()`, id, column))
	if len(pts) != 4 {
		u.t.Fatalf("%s: no place to grab card %s\npage: %s", u.who, id, u.describe())
	}
	return e2eDragPath{pts[0], pts[1], pts[2], pts[3]}
}

// run performs the drag at a steady, machine-made pace and returns when the button was
// released; beforeRelease, when set, runs just before the release (a barrier, for two
// drags that must drop together). It does not touch testing.T, so two drags can run at once.
func (d e2eDragPath) run(ctx context.Context, beforeRelease func()) (time.Time, error) {
	mouse := func(typ input.DispatchMouseEventType, x, y float64) error {
		p := input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Button: input.MouseButtonLeft}
		switch typ {
		case input.DispatchMouseEventTypeMousePressed:
			p.Buttons, p.ClickCount = 1, 1
		case input.DispatchMouseEventTypeMouseMoved:
			p.Buttons = 1
		case input.DispatchMouseEventTypeMouseReleased:
			p.ClickCount = 1
		}
		_, err := chromedp.Call(ctx, input.DispatchMouseEvent, p)
		return err
	}
	if err := mouse(input.DispatchMouseEventTypeMouseMoved, d.x0, d.y0); err != nil {
		return time.Time{}, err
	}
	if err := mouse(input.DispatchMouseEventTypeMousePressed, d.x0, d.y0); err != nil {
		return time.Time{}, err
	}
	const steps = 15
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		if err := mouse(input.DispatchMouseEventTypeMouseMoved, d.x0+(d.x1-d.x0)*f, d.y0+(d.y1-d.y0)*f); err != nil {
			return time.Time{}, err
		}
		time.Sleep(16 * time.Millisecond)
	}
	// Sortable checks the place under the pointer on a timer too: rest a moment.
	for range 3 {
		if err := mouse(input.DispatchMouseEventTypeMouseMoved, d.x1, d.y1+1); err != nil {
			return time.Time{}, err
		}
		time.Sleep(60 * time.Millisecond)
	}
	if beforeRelease != nil {
		beforeRelease()
	}
	released := time.Now()
	return released, mouse(input.DispatchMouseEventTypeMouseReleased, d.x1, d.y1+1)
}

// key presses one key (a rune or a chromedp/kb constant) with real key events.
func (u *e2eUser) key(what, k string) {
	u.t.Helper()
	u.do("press "+what, chromedp.KeyEvent(k))
}

// announcer returns the text of the board's live region.
func (u *e2eUser) announcer() string {
	u.t.Helper()
	return e2eEval[string](u, `document.getElementById("announcer").textContent.trim()`)
}

// screenshot saves a PNG of the viewport, or of the first element matching sel,
// into $TACK_SCREENSHOT_DIR when it is set.
func (u *e2eUser) screenshot(name, sel string) {
	u.t.Helper()
	dir := os.Getenv("TACK_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		u.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(u.ctx, e2eWait)
	defer cancel()
	var png []byte
	var err error
	if sel == "" {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	} else {
		png, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	}
	if err != nil {
		u.t.Fatalf("%s: screenshot %s: %v", u.who, name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		u.t.Fatal(err)
	}
	u.t.Logf("screenshot: %s", path)
}

// --- The tests -----------------------------------------------------------------------

// e2eLiveUpdate: Ana drags a card from To Do to In Progress; Ben's open board shows it
// there within 1 s of Ana's move request completing, without reloading.
func e2eLiveUpdate(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ben := s.signIn(browser, e2eBen, true)
	ana.openBoard(true)
	ben.openBoard(true)

	x := ana.cardAt("c1", 0)
	// A marker that a reload would lose, and the moment the card showed up on Ben's board.
	ben.exec(fmt.Sprintf(`window.e2eLoaded = "before the move";
		new MutationObserver(() => {
			if (!window.e2eSeenAt && %s) window.e2eSeenAt = Date.now();
		}).observe(document.getElementById("live"), {childList: true, subtree: true});`, inColumn(x.ID, "c2")))
	ana.exec(`const form = document.getElementById("drag-move");
		form.addEventListener("htmx:beforeRequest", () => { window.e2eMoveStart = Date.now(); });
		form.addEventListener("htmx:afterRequest", e => {
			window.e2eMove = {status: e.detail.xhr.status, start: window.e2eMoveStart, at: Date.now()};
		});`)

	ana.drag(x.ID, "c2")
	ana.waitUntil("Ana's move request completed", e2eWait, `window.e2eMove`)
	move := e2eEval[struct {
		Status int     `json:"status"`
		Start  float64 `json:"start"`
		At     float64 `json:"at"`
	}](ana, `window.e2eMove`)
	if move.Status != http.StatusOK {
		t.Fatalf("Ana's drag: move answered %d, want 200\npage: %s", move.Status, ana.describe())
	}
	doneAt := time.UnixMilli(int64(move.At))
	if err := ben.poll(doneAt.Add(time.Second), inColumn(x.ID, "c2")); err != nil {
		t.Fatalf("Ben's board does not show %s in In Progress within 1 s of Ana's move: %v\npage: %s", x.Key, err, ben.describe())
	}
	seen := e2eEval[float64](ben, `window.e2eSeenAt || 0`)
	t.Logf("live update latency: %s in Ben's DOM %d ms after Ana's move request started, %d ms after its response (negative: before it)",
		x.Key, int64(seen-move.Start), int64(seen-move.At))

	if got := e2eEval[string](ben, `window.e2eLoaded || ""`); got != "before the move" {
		t.Errorf("Ben's board was reloaded (marker %q)", got)
	}
	ana.waitUntil("Ana's board shows her move", e2eWait, inColumn(x.ID, "c2"))
	if got := s.task(x.ID).ColumnID; got != "c2" {
		t.Errorf("stored column of %s = %s, want c2", x.Key, got)
	}
	// Ben's screen reader hears who moved what.
	ben.waitUntil("Ben hears about Ana's move", e2eWait,
		fmt.Sprintf(`document.getElementById("announcer").textContent.includes("Ana Lima moved %s")`, x.Key))
}

// e2eConflict: Ben's board misses Ana's move of X to Done (his live stream is held);
// his drag of X to In Progress shows the conflict naming Ana; "Move it anyway" wins on
// both boards and the task's history tells all three steps.
func e2eConflict(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ben := s.signIn(browser, e2eBen, true)
	ana.openBoard(true)
	ben.openBoard(true)
	ben.exec(`window.e2eLoaded = "before the conflict"`)
	x := ben.cardAt("c1", 0)

	// Hold Ben's live stream, as a slow network would, so that his page keeps X's old
	// version while Ana moves it. (Editing data-version in his page would test less.)
	s.gate.cut(ben.who, false)
	ben.waitConnected(false)
	ana.moveWithMenu(x.ID, "c4")
	ana.waitUntil("Ana's board shows X in Done", e2eWait, inColumn(x.ID, "c4"))
	if !e2eEval[bool](ben, inColumn(x.ID, "c1")) {
		t.Fatalf("Ben's board got Ana's move although his stream is held\npage: %s", ben.describe())
	}

	ben.drag(x.ID, "c2")
	ben.waitUntil("conflict shown", e2eWait, fmt.Sprintf(`document.querySelector('li.card.conflict#task-%s')`, x.ID))
	frag := e2eEval[struct {
		Text, Confirm, Keep string
		Focused             bool
	}](ben, fmt.Sprintf(`(() => {
		const c = document.querySelector('li.card.conflict#task-%s');
		const confirm = c.querySelector("button[data-conflict-confirm]");
		return {Text: c.querySelector(".conflict-text").textContent, Confirm: confirm.textContent.trim(),
			Keep: c.querySelector('.conflict-actions button[value="theirs"]').textContent.trim(), Focused: document.activeElement === confirm};
	})()`, x.ID))
	if !strings.Contains(frag.Text, "Ana Lima moved "+x.Key+" to Done") {
		t.Errorf("conflict text %q does not say that Ana Lima moved %s to Done", frag.Text, x.Key)
	}
	if frag.Confirm != "Move it to In Progress anyway" {
		t.Errorf("confirm button says %q, want %q", frag.Confirm, "Move it to In Progress anyway")
	}
	if frag.Keep != "Keep it in Done" {
		t.Errorf("keep button says %q, want %q", frag.Keep, "Keep it in Done")
	}
	if !frag.Focused {
		t.Errorf("focus is not on the confirm button\npage: %s", ben.describe())
	}
	ben.waitUntil("conflict announced", e2eWait, `document.getElementById("announcer").textContent.includes("Conflict")`)

	// Ben's stream comes back: the board resyncs, and the conflict waiting for his
	// answer stays in place of the card.
	ben.exec(`window.e2eResyncs = 0;
		document.body.addEventListener("htmx:afterRequest", e => {
			if (e.detail.requestConfig && e.detail.requestConfig.verb === "get") window.e2eResyncs++;
		});`)
	s.gate.restore(ben.who)
	ben.waitConnected(true)
	ben.waitUntil("board resynced after reconnecting", 15*time.Second, `window.e2eResyncs > 0`)
	if !e2eEval[bool](ben, fmt.Sprintf(`document.querySelector('li.card.conflict#task-%s') !== null`, x.ID)) {
		t.Fatalf("the resync after reconnecting removed the conflict waiting for Ben's answer\npage: %s", ben.describe())
	}
	if !e2eEval[bool](ben, `document.activeElement.matches("li.card.conflict button[data-conflict-confirm]")`) {
		t.Errorf("the resync took focus away from the conflict's confirm button\npage: %s", ben.describe())
	}
	// A live update redrawing the conflict's column keeps it too.
	other := ana.cardAt("c3", 0)
	ana.moveWithMenu(other.ID, "c4")
	ben.waitUntil("Ana's next move reaches Ben", e2eWait, inColumn(other.ID, "c4"))
	if !e2eEval[bool](ben, fmt.Sprintf(`document.querySelector('li.card.conflict#task-%s') !== null`, x.ID)) {
		t.Fatalf("a live update of its column removed the conflict waiting for Ben's answer\npage: %s", ben.describe())
	}
	if !e2eEval[bool](ben, `document.activeElement.matches("li.card.conflict button[data-conflict-confirm]")`) {
		t.Errorf("a live update took focus away from the conflict's confirm button\npage: %s", ben.describe())
	}
	ben.screenshotThemes("conflict-board", "")
	ben.screenshot("conflict-card", `li.card.conflict`)

	ben.do("move anyway", chromedp.Click(chromedp.CSS(`li.card.conflict button[data-conflict-confirm]`)))
	ben.waitUntil("X in In Progress on Ben's board", e2eWait, inColumn(x.ID, "c2")+" && "+noConflictShown)
	ana.waitUntil("X in In Progress on Ana's board", e2eWait, inColumn(x.ID, "c2"))
	if got := e2eEval[string](ben, `window.e2eLoaded || ""`); got != "before the conflict" {
		t.Errorf("answering the conflict reloaded Ben's board (marker %q): the answer should go through htmx", got)
	}
	if got := s.task(x.ID).ColumnID; got != "c2" {
		t.Errorf("stored column of %s = %s, want c2", x.Key, got)
	}

	ben.do("open the task page", chromedp.Navigate(s.url+"/projects/DEMO/tasks/"+x.Key))
	items := e2eEval[[]struct {
		Text     string
		Conflict bool
	}](ben, `Array.from(document.querySelectorAll("li.history-item")).map(li => ({
		Text: li.textContent.replace(/\s+/g, " ").trim(), Conflict: li.classList.contains("conflict")}))`)
	steps := []struct {
		what     string
		conflict bool
		words    []string
	}{
		{"Ana's move", false, []string{"Ana Lima", "moved " + x.Key + " from To Do to Done"}},
		{"Ben's conflict", true, []string{"Ben Okafor", "conflict"}},
		{"Ben's move", false, []string{"Ben Okafor", "moved " + x.Key + " from Done to In Progress"}},
		{"Ben's answer", false, []string{"Ben Okafor", "chose to move " + x.Key + " to In Progress anyway"}},
	}
	next := 0
	for _, it := range items {
		if next == len(steps) {
			break
		}
		st := steps[next]
		match := it.Conflict == st.conflict
		for _, w := range st.words {
			match = match && strings.Contains(it.Text, w)
		}
		if match {
			next++
		}
	}
	if next < len(steps) {
		t.Errorf("history of %s lacks %s (in order: Ana's move, Ben's conflict, Ben's move, Ben's answer); it has:\n%v", x.Key, steps[next].what, items)
	}
}

// e2eKeyboard: Ben moves cards with the keyboard only, through the Move menu and in
// pick-up mode; each move is announced and focus stays with the moved card.
func e2eKeyboard(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)

	// The Move menu: Enter opens it, Escape closes it and focus is back on its button;
	// m opens it with focus on its first item; Escape again; Space opens it, Tab reaches
	// the first column, Enter moves.
	x := ben.cardAt("c1", 0)
	// The card's link and its Move button are named with the card's key and title
	// (the Move button by reference to the link, the colon from the stylesheet).
	title := s.task(x.ID).Title
	if got, want := ben.accessibleName("#task-"+x.ID+" a.card-link"), x.Key+": "+title; got != want {
		t.Errorf("the card link is named %q, want %q", got, want)
	}
	if got, want := ben.accessibleName("#task-"+x.ID+" .move-button"), "Move "+x.Key+": "+title; got != want {
		t.Errorf("the Move button is named %q, want %q", got, want)
	}
	ben.do("focus the Move button", chromedp.Focus(chromedp.CSS("#task-"+x.ID+" .move-button")))
	if got := e2eEval[string](ben, `document.activeElement.getAttribute("role") + " " + document.activeElement.getAttribute("aria-expanded")`); got != "button false" {
		t.Errorf("the Move link is not a collapsed button to assistive technology: role and aria-expanded %q", got)
	}
	ben.key("Enter", "\r")
	ben.waitUntil("Move menu open", e2eWait, fmt.Sprintf(`document.querySelector("#task-%s form.move-options") && document.querySelector("#task-%s .move-button").getAttribute("aria-expanded") === "true"`, x.ID, x.ID))
	if got := e2eEval[string](ben, `location.pathname`); got != "/projects/DEMO/board" {
		t.Fatalf("Enter on the Move button left the board for %s", got)
	}
	ben.key("Escape", "\u001b")
	ben.waitUntil("Move menu closed, focus on its button", e2eWait, fmt.Sprintf(`!document.querySelector("#task-%s form.move-options") && document.activeElement.matches("#task-%s .move-button") && document.activeElement.getAttribute("aria-expanded") === "false"`, x.ID, x.ID))
	ben.key("m", "m")
	ben.waitUntil("m opens the menu on its first item", e2eWait, fmt.Sprintf(`document.activeElement.closest("#task-%s form.move-options") && document.activeElement.value === "column:c2"`, x.ID))
	ben.key("Escape", "\u001b")
	ben.waitUntil("Move menu closed, focus on its button", e2eWait, fmt.Sprintf(`!document.querySelector("#task-%s form.move-options") && document.activeElement.matches("#task-%s .move-button")`, x.ID, x.ID))
	ben.key("Space", " ")
	ben.waitUntil("Move menu open", e2eWait, fmt.Sprintf(`document.querySelector("#task-%s form.move-options")`, x.ID))
	// The first card of To Do: no Top or Up, every other column, the card's own not.
	if got := e2eEval[string](ben, fmt.Sprintf(`Array.from(document.querySelectorAll("#task-%s form.move-options button")).map(b => b.value).join(" ")`, x.ID)); got != "column:c2 column:c3 column:c4 down bottom" {
		t.Errorf("the Move menu of the first To Do card offers %q", got)
	}
	ben.key("Tab", "\t")
	ben.screenshot("move-menu", "#col-c1")
	if got := e2eEval[string](ben, `document.activeElement.value || document.activeElement.outerHTML`); got != "column:c2" {
		t.Fatalf("Tab from the open Move button focused %q, want the In Progress button", got)
	}
	ben.key("Enter", "\r")
	ben.expectMoved(x, "c2", "In Progress", "#task-"+x.ID+" .move-button")

	// Pick-up mode: Space on the card's link picks it up, ArrowRight carries it to the
	// next column, Space drops it.
	y := ben.cardAt("c1", 0)
	ben.do("focus the card link", chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#task-%s a.card-link`, y.ID))))
	ben.key("Space", " ")
	ben.waitUntil("card picked up", e2eWait, fmt.Sprintf(`document.querySelector("#task-%s.picked")`, y.ID))
	ben.waitUntil("pick-up announced", e2eWait, `document.getElementById("announcer").textContent.startsWith("Picked up `+y.Key+`")`)
	ben.key("ArrowRight", "\u0303")
	ben.waitUntil("carried to In Progress", e2eWait, inColumn(y.ID, "c2")+` && document.getElementById("announcer").textContent.startsWith("`+y.Key+`: In Progress, position")`)
	ben.screenshot("picked", "#col-c2")
	ben.key("Space", " ")
	ben.expectMoved(y, "c2", "In Progress", "#task-"+y.ID)
	if got := s.task(y.ID).ColumnID; got != "c2" {
		t.Errorf("stored column of %s = %s, want c2", y.Key, got)
	}

	// At machine speed: pick up, carry and drop without waiting for any announcement.
	// The server's "Moved …" must stay the live region's last word: the announcement of
	// the arrow key, still on its way when the answer arrives, must not overwrite it.
	// Once the board is quiet: a resync still due from the last move would redraw it
	// under the keys.
	ben.waitUntil("the board settled", e2eWait, `!window.tackBoard.isBusy()`)
	z := ben.cardAt("c1", 0)
	// Focus from inside the page: a live swap may replace the card between a lookup and a focus.
	ben.waitUntil("the card link focused", e2eWait, fmt.Sprintf(`(() => {
		const l = document.querySelector('#task-%s a.card-link');
		if (l) l.focus();
		return l && document.activeElement === l;
	})()`, z.ID))
	ben.do("pick up, carry and drop at once", chromedp.KeyEvent(" "), chromedp.KeyEvent("̃"), chromedp.KeyEvent(" "))
	ben.expectMoved(z, "c2", "In Progress", "#task-"+z.ID)
	final := ben.announcer()
	time.Sleep(300 * time.Millisecond) // longer than any delayed local announcement
	if got := ben.announcer(); got != final || !strings.HasPrefix(got, "Moved "+z.Key) {
		t.Errorf("the live region's last word is %q, want the server's %q", got, final)
	}
}

// expectMoved waits for the announcement of u's own move of c into a column and checks
// that it names the card's real position and that focus is within the moved card.
func (u *e2eUser) expectMoved(c e2eCard, column, name, focusWithin string) {
	u.t.Helper()
	want := fmt.Sprintf(`(() => {
		const cards = Array.from(document.querySelectorAll("#col-%s ul.cards > li.card"));
		const i = cards.findIndex(el => el.id.slice(5) === %q);
		return i < 0 ? "" : "Moved %s to %s, position " + (i + 1) + " of " + cards.length + ".";
	})()`, column, c.ID, c.Key, name)
	u.waitUntil("move of "+c.Key+" announced", e2eWait, `(() => { const w = `+want+`;
		return w !== "" && document.getElementById("announcer").textContent.trim() === w; })()`)
	u.waitUntil("focus on the moved card", e2eWait, fmt.Sprintf(
		`document.activeElement && document.activeElement.closest(%q) && document.activeElement.closest('li.card#task-%s')`, focusWithin, c.ID))
	if got := e2eEval[bool](u, `document.activeElement.classList.contains("move-button")`); !got {
		u.t.Errorf("after the move focus is not on the card's Move button\npage: %s", u.describe())
	}
}

// e2eNoJavaScript: with scripts off the board renders and the Move menu still moves a
// card: a plain form post, a full page load, focus on the moved card's Move button.
func e2eNoJavaScript(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, false)
	ben.openBoard(false)
	if e2eEval[bool](ben, `typeof window.htmx !== "undefined"`) {
		t.Fatal("scripts ran although JavaScript is off")
	}
	x := ben.cardAt("c1", 0)
	// The Move link leads to the card's move page, whose forms move it.
	ben.do("follow the Move link", chromedp.Click(chromedp.CSS("#task-"+x.ID+" .move-button")))
	ben.waitUntil("the move page", e2eWait, `location.pathname === "/projects/DEMO/board/move/`+x.Key+`" && document.readyState === "complete"`)
	ben.do("move to In Review", chromedp.Click(chromedp.CSS(`form.move-options button[value="column:c3"]`)))
	ben.waitUntil("board reloaded after the move", e2eWait, `location.search.includes("moved=") && document.readyState === "complete"`)
	ben.waitUntil("card in In Review", e2eWait, inColumn(x.ID, "c3"))
	ben.waitUntil("focus on the moved card's Move button", e2eWait, fmt.Sprintf(`document.activeElement && document.activeElement.matches("#task-%s .move-button")`, x.ID))
	if a := ben.announcer(); !strings.HasPrefix(a, "Moved "+x.Key+" to In Review, position ") {
		t.Errorf("announcer says %q, want the move of %s to In Review", a, x.Key)
	}
	if got := s.task(x.ID).ColumnID; got != "c3" {
		t.Errorf("stored column of %s = %s, want c3", x.Key, got)
	}
	// Each change says what it did on the page it lands on, visibly, not only to
	// screen readers: a move, a create and an edit.
	ben.expectVisible("after the move", "#board-notice", "Moved "+x.Key+" to In Review")
	ben.do("create a task",
		chromedp.SendKeys(chromedp.CSS("#board-new-title"), "Written without JavaScript"),
		chromedp.Click(chromedp.CSS(`#board-create button[type=submit]`)),
	)
	ben.waitUntil("board reloaded after the create", e2eWait, `document.readyState === "complete" && document.querySelector("#col-c1 li.card:has(a[href$='/tasks/DEMO-64'])")`)
	ben.expectVisible("after the create", "#board-notice", "Created DEMO-64 in To Do")
	ben.do("open the task page", chromedp.Navigate(s.url+"/projects/DEMO/tasks/DEMO-64"))
	ben.do("edit the title",
		chromedp.SetValue(chromedp.CSS("form.task-form #title"), "Edited without JavaScript"),
		chromedp.Click(chromedp.CSS(`form.task-form button[type=submit]`)),
	)
	ben.waitUntil("task page reloaded after the edit", e2eWait, `document.readyState === "complete" && document.querySelector("h1").textContent.includes("Edited without JavaScript")`)
	ben.expectVisible("after the edit", ".flash", "Saved DEMO-64.")
}

// expectVisible checks that the element shows the text on screen: rendered, not
// visually hidden, with a size.
func (u *e2eUser) expectVisible(when, sel, text string) {
	u.t.Helper()
	got := e2eEval[struct {
		Text    string
		Visible bool
	}](u, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return {Text: "", Visible: false};
		const r = el.getBoundingClientRect();
		return {Text: el.textContent.trim(), Visible: r.width > 10 && r.height > 10 && getComputedStyle(el).visibility === "visible"};
	})()`, sel))
	if !got.Visible || !strings.Contains(got.Text, text) {
		u.t.Errorf("%s: %s shows %q (visible %v), want %q on screen\npage: %s", when, sel, got.Text, got.Visible, text, u.describe())
	}
}

// e2eAxeTags are the WCAG rule sets axe-core checks.
const e2eAxeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]`

// e2eAxeJS returns axe-core's script, pinned by package-lock.json and committed by
// make vendor.
func e2eAxeJS(t *testing.T) []byte {
	t.Helper()
	axeJS, err := os.ReadFile(filepath.Join("testdata", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is missing (run make vendor): %v", err)
	}
	return axeJS
}

// e2eAxe: axe-core finds no WCAG 2.2 AA violation, in the light and the dark theme, on
// the board with a conflict shown, a Move menu open and the shortcuts shown, on the task
// page and on the activity page.
func e2eAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)
	if os.Getenv("TACK_SCREENSHOT_DIR") != "" {
		// Show the focus ring too: keyboard focus on the first card's Move button.
		ben.do("focus a Move button", chromedp.Focus(chromedp.CSS("#col-c1 .move-button")))
		ben.screenshot("board", "")
	}

	// A conflict: Ana moves X (straight through the store) while Ben's stream is held,
	// then Ben moves it with his stale Move menu.
	x := ben.cardAt("c1", 0)
	s.gate.cut(ben.who, false)
	ben.waitConnected(false)
	ctx := context.Background()
	ana, err := s.st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	tk := s.task(x.ID)
	if _, err := s.st.MoveTask(ctx, ana.ID, store.TaskMove{TaskID: x.ID, BaseVersion: tk.Version, ColumnID: "c4"}); err != nil {
		t.Fatalf("Ana moves %s: %v", x.Key, err)
	}
	ben.moveWithMenu(x.ID, "c2")
	ben.waitUntil("conflict shown", e2eWait, `document.querySelector("li.card.conflict")`)
	// With a Move menu open too, so that axe sees its buttons.
	ben.do("open a Move menu", chromedp.Click(chromedp.CSS("#col-c1 .move-button")))
	ben.waitUntil("Move menu open", e2eWait, `document.querySelector("#col-c1 form.move-options")`)
	// And the keyboard shortcuts shown.
	ben.do("show the shortcuts", chromedp.Click(chromedp.CSS("#shortcuts-toggle > summary")))
	ben.waitUntil("shortcuts shown", e2eWait, `document.getElementById("shortcuts-toggle").open`)
	ben.axe(axeJS, "board with a conflict, an open Move menu and the shortcuts")
	y := ben.cardAt("c2", 0)
	s.gate.restore(ben.who)

	ben.do("open the task page", chromedp.Navigate(s.url+"/projects/DEMO/tasks/"+x.Key))
	ben.waitUntil("the pending conflict on top of the task page", e2eWait, `document.querySelector("section.conflict button[value=mine]")`)
	ben.axe(axeJS, "task page with the pending conflict on top")
	ben.do("open the activity page", chromedp.Navigate(s.url+"/projects/DEMO/activity"))
	ben.axe(axeJS, "activity page")
	ben.do("open a move page", chromedp.Navigate(s.url+"/projects/DEMO/board/move/"+y.Key))
	ben.waitUntil("the move page", e2eWait, `document.querySelector("form.move-options button")`)
	ben.axe(axeJS, "move page")
}

// axe runs axe-core on the page in the light and in the dark theme and fails with each
// violation found.
func (u *e2eUser) axe(axeJS []byte, page string) {
	u.t.Helper()
	u.exec(string(axeJS))
	for _, scheme := range []string{"light", "dark"} {
		u.theme(scheme)
		u.axeRun(page + " (" + scheme + " theme)")
	}
	u.theme("light")
}

// axeRun runs the axe-core loaded into the page once and fails with each violation found.
func (u *e2eUser) axeRun(page string) {
	u.t.Helper()
	type node struct {
		Target  json.RawMessage `json:"target"`
		Summary string          `json:"summary"`
		HTML    string          `json:"html"`
	}
	violations := e2eEval[[]struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []node `json:"nodes"`
	}](u, `axe.run(document, {runOnly: {type: "tag", values: `+e2eAxeTags+`}}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary, html: n.html}))})))`,
		chromedp.EvalAwaitPromise)
	for _, v := range violations {
		var b strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %s\n      %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		u.t.Errorf("axe on the %s: %s (%s): %s%s", page, v.ID, v.Impact, v.Help, b.String())
	}
}

// e2eReconnect: Ben's live stream drops and is refused while Ana moves several cards;
// once it is back, htmx reconnects and Ben's board resyncs to match Ana's.
func e2eReconnect(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ben := s.signIn(browser, e2eBen, true)
	ana.openBoard(true)
	ben.openBoard(true)
	if a, b := ana.columns(), ben.columns(); !e2eSameColumns(a, b) {
		t.Fatalf("boards differ before anything happened:\nana %v\nben %v", a, b)
	}

	s.gate.cut(ben.who, true)
	ben.waitConnected(false)
	// Three moves: across columns, and within one.
	first, second := ana.cardAt("c1", 0), ana.cardAt("c2", 0)
	ana.moveWithMenu(first.ID, "c4")
	ana.waitUntil("first move shown", e2eWait, inColumn(first.ID, "c4"))
	ana.moveWithMenu(second.ID, "c3")
	ana.waitUntil("second move shown", e2eWait, inColumn(second.ID, "c3"))
	third := ana.cardAt("c1", 0)
	ana.do("move "+third.Key+" to the bottom",
		chromedp.Click(chromedp.CSS("#task-"+third.ID+" .move-button")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#task-%s .move-options button[value="bottom"]`, third.ID))))
	ana.waitUntil("third move shown", e2eWait, fmt.Sprintf(
		`document.querySelector("#col-c1 ul.cards > li.card:last-child").id === "task-" + %q`, third.ID))
	if e2eSameColumns(ana.columns(), ben.columns()) {
		t.Fatalf("Ben's board followed Ana's moves while his stream was down: the test proves nothing")
	}

	s.gate.restore(ben.who)
	ben.waitConnected(true)
	deadline := time.Now().Add(15 * time.Second)
	for {
		a, b := ana.columns(), ben.columns()
		if e2eSameColumns(a, b) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ben's board does not match Ana's 15 s after his stream came back:\nana %v\nben %v", a, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func e2eSameColumns(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, ids := range a {
		if strings.Join(ids, ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return true
}
