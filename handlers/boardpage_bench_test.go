package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBoardPage521 serves a 521-card board (the measure) through the HTTP
// handler and reports the page's size.
func BenchmarkBoardPage521(b *testing.B) {
	bb := newBenchBoard(b, 521)
	var size int
	for b.Loop() {
		res := bb.do(b, http.MethodGet, "/projects/BENCH/board", nil)
		if res.Code != http.StatusOK {
			b.Fatalf("board: %d", res.Code)
		}
		size = res.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkBoardPage521Gzip is BenchmarkBoardPage521 as browsers (and tack bench) ask
// for it, compressed, and reports the bytes sent.
func BenchmarkBoardPage521Gzip(b *testing.B) {
	bb := newBenchBoard(b, 521)
	var size int
	gzip := http.Header{"Accept-Encoding": {"gzip"}}
	for b.Loop() {
		res := bb.do(b, http.MethodGet, "/projects/BENCH/board", nil, gzip)
		if res.Code != http.StatusOK || res.Header().Get("Content-Encoding") != "gzip" {
			b.Fatalf("board: %d, Content-Encoding %q", res.Code, res.Header().Get("Content-Encoding"))
		}
		size = res.Body.Len()
	}
	b.ReportMetric(float64(size), "gzip-bytes/page")
}

// BenchmarkBoardPage521NotModified revalidates a 521-card board that has not changed:
// the browser sends its ETag back and gets 304 without the board being read or rendered.
func BenchmarkBoardPage521NotModified(b *testing.B) {
	bb := newBenchBoard(b, 521)
	first := bb.do(b, http.MethodGet, "/projects/BENCH/board", nil)
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" {
		b.Fatalf("board: %d with ETag %q", first.Code, etag)
	}
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/projects/BENCH/board", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin") // as bb.do sends it
		req.Header.Set("If-None-Match", etag)
		for _, c := range bb.cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		bb.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			b.Fatalf("revalidation: %d", rec.Code)
		}
	}
}
