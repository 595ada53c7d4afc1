package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

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

// benchProject opens a store in a fresh file with one user, Bench Mark, and an empty
// project BENCH of which he is the admin.
func benchProject(b *testing.B) (*store.Store, *store.User, *store.Project) {
	b.Helper()
	ctx := context.Background()
	st, err := store.OpenWith(ctx, filepath.Join(b.TempDir(), "tack.db"), store.OpenOptions{PasswordCost: bcrypt.MinCost})
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
	return st, u, p
}

// benchTasks creates n tasks of realistic size in p, spread over its columns in turn.
func benchTasks(b *testing.B, st *store.Store, u *store.User, p *store.Project, n int) []*store.Task {
	b.Helper()
	tasks := make([]*store.Task, 0, n)
	for i := range n {
		pts := float64(i % 8)
		t, err := st.CreateTask(context.Background(), u.ID, store.NewTask{ProjectID: p.ID, Title: fmt.Sprintf("Benchmark task number %d with a realistic title", i),
			ColumnID: p.Columns[i%len(p.Columns)].ID, AssigneeID: u.ID, Points: &pts, Labels: []string{"bench"}, Type: store.TaskTypes[i%4]})
		if err != nil {
			b.Fatal(err)
		}
		tasks = append(tasks, t)
	}
	return tasks
}

func newBenchBoard(b *testing.B, n int) *benchBoard {
	b.Helper()
	st, u, p := benchProject(b)
	bb := &benchBoard{st: st, project: p, user: u, tasks: benchTasks(b, st, u, p, n)}
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

func (bb *benchBoard) do(b *testing.B, method, path string, form url.Values, header ...http.Header) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range header {
		for k, vs := range h {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
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

// BenchmarkMoveCost moves one card between two columns through the HTTP handler as htmx
// does, with the board open on a live stream, on boards of 50 and 2,000 cards. Each move
// waits for its live update to arrive, so the publisher's reads and rendering count too.
// A move's cost must not grow with the board: 2,000 cards within 1.3x of 50.
func BenchmarkMoveCost(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			bb := newBenchBoard(b, n)
			updates := bb.watch(b, "board")
			t := bb.tasks[0]
			version := t.Version
			cols := []string{bb.project.Columns[1].ID, bb.project.Columns[0].ID}
			var answer, live, i int
			// Process CPU time per move (the request, the publisher and the reading
			// subscriber): steadier than wall time on a shared, busy machine.
			cpu := processCPU(b)
			for b.Loop() {
				form := url.Values{"task": {t.ID}, "base_version": {fmt.Sprint(version)}, "to": {"column:" + cols[i%2]}}
				rec := bb.do(b, http.MethodPost, "/projects/BENCH/board/move", form, http.Header{"HX-Request": {"true"}})
				if rec.Code != http.StatusOK {
					b.Fatalf("move %d: status %d: %.300s", i, rec.Code, rec.Body.String())
				}
				answer = rec.Body.Len()
				select {
				case live = <-updates:
				case <-time.After(10 * time.Second):
					b.Fatalf("move %d: no live update within 10 s", i)
				}
				version++
				i++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(answer), "answer-bytes")
			b.ReportMetric(float64(live), "live-bytes")
		})
	}
}

// watch opens a live stream of the BENCH project over a real connection (page is
// "board" or "backlog": its stream is /projects/BENCH/PAGE/stream and its updates are
// events named PAGE) and returns the size of each update's data as it arrives.
func (bb *benchBoard) watch(b *testing.B, page string) <-chan int {
	b.Helper()
	srv := httptest.NewServer(bb.e)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/projects/BENCH/"+page+"/stream", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range bb.cookies {
		req.AddCookie(c)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		res.Body.Close()
		srv.CloseClientConnections()
		srv.Close()
	})
	if res.StatusCode != http.StatusOK {
		b.Fatalf("stream: %d", res.StatusCode)
	}
	updates := make(chan int, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		in, size := false, 0
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "event: "+page:
				in = true
			case strings.HasPrefix(line, "data:"):
				size += len(line) - len("data:")
			case line == "":
				if in {
					updates <- size
				}
				in, size = false, 0
			}
		}
	}()
	return updates
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
