package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// benchBoard is a project with n tasks spread over its columns, served by Tack.
type benchBoard struct {
	st      *store.Store
	e       *echo.Echo
	project *store.Project
	user    *store.User
	cookies []*http.Cookie
	tasks   []*store.Task
}

func newBenchBoard(b *testing.B, n int) *benchBoard {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "tack.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	u, err := st.RegisterUser(ctx, store.NewUser{Email: "bench@example.com", Name: "Bench Mark", Password: "bench-password"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := st.CreateProject(ctx, u.ID, store.NewProject{Key: "BENCH", Name: "Benchmark"})
	if err != nil {
		b.Fatal(err)
	}
	bb := &benchBoard{st: st, project: p, user: u}
	for i := range n {
		pts := float64(i % 8)
		t, err := st.CreateTask(ctx, u.ID, store.NewTask{ProjectID: p.ID, Title: fmt.Sprintf("Benchmark task number %d with a realistic title", i),
			ColumnID: p.Columns[i%len(p.Columns)].ID, AssigneeID: u.ID, Points: &pts, Labels: []string{"bench"}, Type: store.TaskTypes[i%4]})
		if err != nil {
			b.Fatal(err)
		}
		bb.tasks = append(bb.tasks, t)
	}
	e, h := handlers.New(st, handlers.Config{})
	b.Cleanup(h.Close)
	bb.e = e
	// Sign in through the form; Sec-Fetch-Site stands in for the CSRF token, as browsers send it.
	form := url.Values{"email": {"bench@example.com"}, "password": {"bench-password"}}
	res := bb.do(b, http.MethodPost, "/signin", form)
	if res.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", res.Code)
	}
	bb.cookies = res.Result().Cookies()
	return bb
}

func (bb *benchBoard) do(b *testing.B, method, path string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range bb.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	bb.e.ServeHTTP(rec, req)
	return rec
}

// BenchmarkBoardRender500 renders a 500-card board page (views only).
func BenchmarkBoardRender500(b *testing.B) {
	bb := newBenchBoard(b, 500)
	ctx := context.Background()
	tasks, err := bb.st.Tasks(ctx, bb.project.ID, store.TaskFilter{})
	if err != nil {
		b.Fatal(err)
	}
	members, err := bb.st.Members(ctx, bb.project.ID)
	if err != nil {
		b.Fatal(err)
	}
	page := views.Page{Title: "Board", Project: bb.project, Role: store.RoleAdmin, User: bb.user, CSRF: "token", Live: true}
	var size int
	for b.Loop() {
		board := views.NewBoardView(bb.project, tasks, members, views.BoardFilter{}, true)
		w := &countingWriter{}
		if err := views.BoardPage(page, board).Render(ctx, w); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkBoardPage500HTTP serves the 500-card board through the HTTP handler: session,
// membership check, queries and rendering.
func BenchmarkBoardPage500HTTP(b *testing.B) {
	bb := newBenchBoard(b, 500)
	for b.Loop() {
		if res := bb.do(b, http.MethodGet, "/projects/BENCH/board", nil); res.Code != http.StatusOK {
			b.Fatalf("board: %d", res.Code)
		}
	}
}

// BenchmarkMoveHTTP moves a card between two columns through the HTTP handler as htmx
// does: session, CSRF, command with its concurrency rule, append, projections, and the
// rendered columns in the answer (live fan-out runs on its own goroutine).
func BenchmarkMoveHTTP(b *testing.B) {
	bb := newBenchBoard(b, 100)
	t := bb.tasks[0]
	version := t.Version
	cols := []string{bb.project.Columns[1].ID, bb.project.Columns[0].ID}
	i := 0
	for b.Loop() {
		form := url.Values{"task": {t.ID}, "base_version": {fmt.Sprint(version)}, "to": {"column:" + cols[i%2]}}
		req := httptest.NewRequest(http.MethodPost, "/projects/BENCH/board/move", strings.NewReader(form.Encode()))
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range bb.cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		bb.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("move %d: status %d: %.300s", i, rec.Code, rec.Body.String())
		}
		version++
		i++
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
