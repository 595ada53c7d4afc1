package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/handlers"
)

// filler is an endless-looking body of n bytes that costs no memory.
type filler struct{ left int64 }

func (f *filler) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > f.left {
		n = f.left
	}
	for i := range p[:n] {
		p[i] = 'a'
	}
	f.left -= n
	return int(n), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	token, _, err := a.st.CreateToken(a.ctx, a.ana.ID, "tests")
	if err != nil {
		t.Fatal(err)
	}
	const big = 100 << 20 // 100 MiB
	const slack = 64 << 10
	multipart := func(size int64) (io.Reader, string) {
		head := "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n" +
			"Content-Type: application/octet-stream\r\n\r\n"
		return io.MultiReader(strings.NewReader(head), &filler{size}, strings.NewReader("\r\n--XyZ--\r\n")),
			"multipart/form-data; boundary=XyZ"
	}
	form := func(size int64) (io.Reader, string) {
		return io.MultiReader(strings.NewReader("email=x%40example.com&password="), &filler{size}),
			"application/x-www-form-urlencoded"
	}
	syncBody := func(size int64) (io.Reader, string) {
		return io.MultiReader(strings.NewReader(`{"operations":[],"pad":"`), &filler{size}, strings.NewReader(`"}`)),
			"application/json"
	}
	for _, tc := range []struct {
		name     string
		path     string
		body     func(int64) (io.Reader, string)
		declared bool // send Content-Length; otherwise the body is chunked
		api      bool
	}{
		{"anonymous multipart sign-in, chunked", "/signin", multipart, false, false},
		{"anonymous multipart sign-in, Content-Length", "/signin", multipart, true, false},
		{"anonymous form sign-in, chunked", "/signin", form, false, false},
		{"sign-up form, chunked", "/signup", form, false, false},
		{"API sync, chunked", "/api/v1/sync", syncBody, false, true},
		{"API sync, Content-Length", "/api/v1/sync", syncBody, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ctype := tc.body(big)
			body := &countingReader{r: r}
			req := httptest.NewRequest(http.MethodPost, tc.path, body)
			req.Header.Set("Content-Type", ctype)
			req.ContentLength = -1
			if tc.declared {
				req.ContentLength = big + 200
			}
			if tc.api {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			a.e.ServeHTTP(rec, req)
			if n := body.n.Load(); n > 1<<20+slack {
				t.Errorf("the server read %d bytes of the body (%.1f MiB), want at most 1 MiB", n, float64(n)/(1<<20))
			}
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413; body: %.300s", rec.Code, rec.Body.String())
			}
			if tc.api {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				if !strings.Contains(rec.Body.String(), "larger than 1 MiB") {
					t.Errorf("problem does not say the limit: %s", rec.Body.String())
				}
				return
			}
			doc, err := goquery.NewDocumentFromReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.Find(".error-message").Text(); !strings.Contains(got, "larger than 1 MiB") {
				t.Errorf("error page says %q, want it to name the 1 MiB limit", got)
			}
		})
	}

	// A body within the limit still works: a sign-in form is read and answered.
	b := a.browser()
	b.signIn(anaEmail, anaPass)
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	for i, tc := range []struct {
		name, origin string
		want         int
	}{
		{"another site", "https://evil.example", http.StatusForbidden},
		{"another port", "http://127.0.0.1:1", http.StatusForbidden},
		{"same host over https while served over http", strings.Replace(a.srv.URL, "http://", "https://", 1), http.StatusForbidden},
		{"opaque origin", "null", http.StatusForbidden},
		{"same origin", a.srv.URL, http.StatusSeeOther},
		{"no Origin", "", http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := b.get("/projects")
			expectStatus(t, page, http.StatusOK)
			before := a.eventCount()
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", tc.origin)
			}
			key := fmt.Sprintf("ORIG%d", i)
			r := b.do(http.MethodPost, "/projects", url.Values{"_csrf": {b.token}, "key": {key}, "name": {"Origin " + tc.name}}, header)
			expectStatus(t, r, tc.want)
			if tc.want == http.StatusForbidden {
				expectText(t, r, ".error-message", "did not come from Tack")
				if after := a.eventCount(); after != before {
					t.Errorf("a refused request changed the log: %d events, was %d", after, before)
				}
			}
		})
	}
}

func TestStrictTransportSecurity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		secure bool
		want   string
	}{
		{"secure cookies", true, "max-age=31536000"},
		{"plain HTTP", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAppWith(t, appOptions{cfg: handlers.Config{SecureCookies: tc.secure}})
			for _, path := range []string{"/signin", "/healthz", "/api/v1/openapi.json", "/no-such-page"} {
				res, err := http.Get(a.srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if got := res.Header.Get("Strict-Transport-Security"); got != tc.want {
					t.Errorf("GET %s: Strict-Transport-Security %q, want %q", path, got, tc.want)
				}
			}
		})
	}
}
