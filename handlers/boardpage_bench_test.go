package handlers_test

import (
	"net/http"
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
