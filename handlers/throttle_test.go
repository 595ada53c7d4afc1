package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/pgtest"
)

// testClock is a settable clock, safe for the server's goroutines.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// directClient sends requests to the server's handler without a network, from a
// chosen client address, keeping cookies and the last page's CSRF token.
type directClient struct {
	t     testing.TB
	h     http.Handler
	addr  string
	jar   http.CookieJar
	token string
}

func newDirectClient(t testing.TB, h http.Handler, addr string) *directClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &directClient{t: t, h: h, addr: addr, jar: jar}
}

// send sends one request; form, when set, is posted with the CSRF token.
func (d *directClient) send(method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	d.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("_csrf", d.token)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://tack.test"+path, body)
	req.RemoteAddr = d.addr
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range d.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, req)
	d.jar.SetCookies(req.URL, rec.Result().Cookies())
	if doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes())); err == nil {
		if tok := doc.Find(`input[name="_csrf"]`).First().AttrOr("value", ""); tok != "" {
			d.token = tok
		}
	}
	return rec
}

// signIn loads the sign-in page and posts the form.
func (d *directClient) signIn(email, password string, header http.Header) *httptest.ResponseRecorder {
	d.t.Helper()
	if d.token == "" {
		if rec := d.send(http.MethodGet, "/signin", nil, nil); rec.Code != http.StatusOK {
			d.t.Fatalf("GET /signin: %d", rec.Code)
		}
	}
	return d.send(http.MethodPost, "/signin", url.Values{"email": {email}, "password": {password}}, header)
}

// expectThrottled fails unless rec is a 429 sign-in page with Retry-After and text.
func expectThrottled(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string, text ...string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body: %.300s", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	msg := doc.Find(".form-error").Text()
	for _, want := range text {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a := newAppWith(t, appOptions{now: clock.Now})
	attacker := newDirectClient(t, a.e, "203.0.113.7:40001")

	for i := 1; i <= 5; i++ {
		if rec := attacker.signIn(anaEmail, "guess-"+fmt.Sprint(i), nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, rec.Code)
		}
	}
	// The sixth attempt comes too soon: refused before the password is looked at, so
	// even the right one tells the attacker nothing.
	expectThrottled(t, attacker.signIn(anaEmail, anaPass, nil), "1", "Too many failed sign-in attempts", "Try again in 1 second")

	// Waiting out each growing delay lets one more guess through, up to 20 failures.
	for failures := 5; failures < 20; failures++ {
		wait := min(time.Duration(1<<(failures-5))*time.Second, time.Minute)
		clock.Advance(wait - time.Millisecond)
		expectThrottled(t, attacker.signIn(anaEmail, "guess", nil), fmt.Sprint(1), "Try again in")
		clock.Advance(time.Millisecond)
		if rec := attacker.signIn(anaEmail, "guess", nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("after waiting %v at %d failures: status %d, want 401", wait, failures, rec.Code)
		}
	}
	// Twenty failures: this address is locked out of this account for 15 minutes.
	expectThrottled(t, attacker.signIn(anaEmail, anaPass, nil), "900", "paused until 09:", "15 minutes")
	clock.Advance(time.Minute)
	expectThrottled(t, attacker.signIn(anaEmail, anaPass, nil), "840", "paused until")

	// Naming another address in X-Forwarded-For changes nothing: no proxy is trusted.
	spoof := http.Header{"X-Forwarded-For": {"198.51.100.20"}, "X-Real-Ip": {"198.51.100.20"}}
	expectThrottled(t, attacker.signIn(anaEmail, anaPass, spoof), "840", "paused until")

	// Ana herself, from her own address, signs in meanwhile.
	ana := newDirectClient(t, a.e, "198.51.100.20:52000")
	if rec := ana.signIn(anaEmail, anaPass, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/projects" {
		t.Fatalf("Ana from a clean address: status %d to %q, want 303 to /projects", rec.Code, rec.Header().Get("Location"))
	}

	// After the lockout the attacker may guess again. (The address and account limits
	// are covered by TestSignInThrottleRules.)
	clock.Advance(14 * time.Minute)
	if rec := attacker.signIn(anaEmail, "guess", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after the lockout: status %d, want 401", rec.Code)
	}
}

// TestSignInThrottleBehindProxy: with TrustProxy, the client address is the one a proxy
// on the local network names in X-Forwarded-For, so people behind the proxy are counted
// apart.
func TestSignInThrottleBehindProxy(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a := newAppWith(t, appOptions{cfg: handlers.Config{TrustProxy: true}, now: clock.Now})
	attacker := newDirectClient(t, a.e, "127.0.0.1:40001")
	viaProxy := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	for i := 1; i <= 5; i++ {
		if rec := attacker.signIn(anaEmail, "guess", viaProxy("203.0.113.7")); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, rec.Code)
		}
	}
	expectThrottled(t, attacker.signIn(anaEmail, anaPass, viaProxy("203.0.113.7")), "1", "Try again in 1 second")
	ana := newDirectClient(t, a.e, "127.0.0.1:40002")
	if rec := ana.signIn(anaEmail, anaPass, viaProxy("198.51.100.20")); rec.Code != http.StatusSeeOther {
		t.Fatalf("Ana behind the same proxy: status %d, want 303", rec.Code)
	}
}

// BenchmarkSignIn is the cost of a sign-in through the handler: "failed" a wrong
// password (counted by the throttle), "succeeded" the right one (counted, then given
// back, and a session started), on SQLite and on PostgreSQL (skipped when PostgreSQL is
// not installed). Each attempt comes from an address of its own and the store's clock
// moves 61 s at each reading, so that no attempt is refused: the benchmark measures the
// attempts that reach the password check. bcrypt runs at its minimum cost, so the
// throttle's share is not hidden behind it.
func BenchmarkSignIn(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchmarkSignIn(b, filepath.Join(b.TempDir(), "tack.db"))
	})
	b.Run("postgres", func(b *testing.B) {
		pg, err := pgtest.Start()
		if errors.Is(err, pgtest.ErrNoBinaries) {
			b.Skip(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		defer pg.Stop()
		url, drop, err := pg.CreateDatabase(context.Background(), "template0")
		if err != nil {
			b.Fatal(err)
		}
		defer drop()
		benchmarkSignIn(b, url)
	})
}

func benchmarkSignIn(b *testing.B, db string) {
	ctx := context.Background()
	st, err := store.OpenWith(ctx, db, store.OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	st.Now = func() time.Time { return time.Unix(0, clock.Add(int64(61*time.Second))).UTC() }
	e, h := handlers.New(st, handlers.Config{Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	for _, tc := range []struct {
		name     string
		password string
		status   int
	}{
		{"failed", "wrong password", http.StatusUnauthorized},
		{"succeeded", anaPass, http.StatusSeeOther},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := range b.N {
				b.StopTimer()
				c := newDirectClient(b, e, fmt.Sprintf("10.%d.%d.%d:40000", i>>16&255, i>>8&255, i&255))
				if rec := c.send(http.MethodGet, "/signin", nil, nil); rec.Code != http.StatusOK {
					b.Fatalf("GET /signin: %d", rec.Code)
				}
				b.StartTimer()
				if rec := c.signIn(anaEmail, tc.password, nil); rec.Code != tc.status {
					b.Fatalf("attempt %d: status %d, want %d", i, rec.Code, tc.status)
				}
			}
		})
	}
}
