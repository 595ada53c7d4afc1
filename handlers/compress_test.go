package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestResponsesAreCompressed: pages and static files go gzipped to a client that accepts
// it, and still plain to one that does not; the board's event stream never is, since
// its events must leave one by one.
func TestResponsesAreCompressed(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	gz := http.Header{"Accept-Encoding": {"gzip"}}

	plain := ben.get("/projects/DEMO/board")
	expectStatus(t, plain, http.StatusOK)
	if enc := plain.Header.Get("Content-Encoding"); enc != "" {
		t.Fatalf("a client that did not ask for gzip got Content-Encoding %q", enc)
	}
	for _, path := range []string{"/projects/DEMO/board", "/static/vendor/htmx.min.js"} {
		r := ben.do(http.MethodGet, path, nil, gz)
		expectStatus(t, r, http.StatusOK)
		if enc := r.Header.Get("Content-Encoding"); enc != "gzip" {
			t.Fatalf("GET %s with Accept-Encoding gzip: Content-Encoding %q", path, enc)
		}
		zr, err := gzip.NewReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if path == "/projects/DEMO/board" {
			if !bytes.Contains(body, []byte(`id="cards-`)) {
				t.Errorf("the gzipped board page is not the board")
			}
			if len(r.Body)*4 > len(body) {
				t.Errorf("board page: %d bytes gzipped for %d plain; want at most a quarter", len(r.Body), len(body))
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/projects/DEMO/board/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := ben.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("board stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if enc := res.Header.Get("Content-Encoding"); enc != "" {
		t.Errorf("board stream sent with Content-Encoding %q", enc)
	}
}
