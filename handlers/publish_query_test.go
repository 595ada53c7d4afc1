package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// statementLog records the statements a store runs, split by who ran them: the live
// publisher's goroutine or anyone else (requests).
type statementLog struct {
	mu        sync.Mutex
	on        bool
	publisher []string
	others    []string
}

func (l *statementLog) record(query string) {
	l.mu.Lock()
	on := l.on
	l.mu.Unlock()
	if !on {
		return
	}
	buf := make([]byte, 64<<10)
	byPublisher := strings.Contains(string(buf[:runtime.Stack(buf, false)]), "handlers.(*publisher).run")
	query = strings.Join(strings.Fields(query), " ")
	l.mu.Lock()
	defer l.mu.Unlock()
	if byPublisher {
		l.publisher = append(l.publisher, query)
	} else {
		l.others = append(l.others, query)
	}
}

func (l *statementLog) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.publisher, l.others = true, nil, nil
}

func (l *statementLog) stop() (publisher, others []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.publisher, l.others
}

// newCountedApp is newApp with extra tasks on the DEMO board (created before the server
// starts, so its publisher has not seen them) and every statement recorded.
func newCountedApp(t *testing.T, extra int) (*app, *statementLog, *handlers.Handler) {
	t.Helper()
	ctx := context.Background()
	log := &statementLog{}
	st, err := store.OpenWith(ctx, filepath.Join(t.TempDir(), "tack.db"), store.OpenOptions{PasswordCost: bcrypt.MinCost, OnStatement: log.record})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	endDemoSprints(t, st)
	a := &app{t: t, ctx: ctx, st: st}
	a.ana, a.ben, a.chlo = a.user(anaEmail), a.user(benEmail), a.user(chloeEmail)
	if a.demo, _, err = st.ProjectFor(ctx, a.ana.ID, "DEMO"); err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		col := a.demo.Columns[i%len(a.demo.Columns)].ID
		if _, err := st.CreateTask(ctx, a.ana.ID, store.NewTask{ProjectID: a.demo.ID, Title: fmt.Sprintf("Extra %d", i), ColumnID: col}); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	e, h := handlers.New(st, handlers.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	t.Cleanup(h.Close)
	a.e = e
	a.srv = httptest.NewServer(e)
	t.Cleanup(func() {
		a.srv.Close()
		if s := logs.String(); s != "" {
			t.Errorf("server logged errors:\n%s", s)
		}
	})
	return a, log, h
}

// readsWholeBoard matches a statement over the tasks table that no task id, column,
// number or sprint narrows: one that reads every task of a project. (The board reads its
// active sprints with their task counts, over the index on a sprint's tasks.)
func readsWholeBoard(q string) bool {
	if !regexp.MustCompile(`(?i)\b(FROM|JOIN) tasks\b`).MatchString(q) {
		return false
	}
	return !regexp.MustCompile(`(?i)(\bt\.id|\bid|column_id|number) = \?|t\.sprint_id = s\.id`).MatchString(q)
}

// TestOneCardMoveDoesNotReadTheBoard: an htmx move of one card, with and without an open
// board watching, runs no statement that reads all of the project's tasks, and as many
// statements on a board of 521 cards as on one of 71; with nobody watching, the
// publisher reads nothing but, at most, the task's project (so renders nothing).
func TestOneCardMoveDoesNotReadTheBoard(t *testing.T) {
	for _, watched := range []bool{false, true} {
		t.Run(fmt.Sprintf("watched=%v", watched), func(t *testing.T) {
			counts := map[int][2]int{}
			for _, extra := range []int{50, 500} {
				a, log, h := newCountedApp(t, extra)
				ben := a.browser()
				ben.signIn(benEmail, benPass)
				board := ben.get("/projects/DEMO/board")
				expectStatus(t, board, http.StatusOK)
				var lines <-chan string
				if watched {
					ana := a.browser()
					ana.signIn(anaEmail, anaPass)
					lines = openBoardStream(t, ana)
				}
				tk := a.task("DEMO-9")
				log.start()
				res := ben.do(http.MethodPost, "/projects/DEMO/board/move", url.Values{"_csrf": {ben.token},
					"task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)}, "to": {"column:c3"}}, http.Header{"HX-Request": {"true"}})
				expectStatus(t, res, http.StatusOK)
				if watched {
					data := readBoardEvent(t, lines)
					if doc := fragment(t, data); doc.Find(cardOf("DEMO-9")).Length() != 1 {
						t.Errorf("the watching board did not receive DEMO-9:\n%.500s", data)
					}
				}
				h.Close() // the publisher finishes what is queued
				publisher, others := log.stop()
				for _, q := range slices.Concat(publisher, others) {
					if readsWholeBoard(q) {
						t.Errorf("%d cards: the move ran a statement that reads the whole board:\n%s", extra+21, q)
					}
				}
				if !watched && (len(publisher) > 1 || len(publisher) == 1 && !strings.Contains(publisher[0], "SELECT project_id FROM tasks WHERE id = ?")) {
					t.Errorf("with no board open the publisher read more than the task's project:\n%s", strings.Join(publisher, "\n"))
				}
				if watched && len(publisher) == 0 {
					t.Errorf("the publisher ran no statement: the count is not seeing it")
				}
				counts[extra] = [2]int{len(publisher), len(others)}
				t.Logf("%d cards: publisher %d statements, request %d", extra+21, len(publisher), len(others))
				if testing.Verbose() && extra == 50 {
					t.Logf("publisher:\n%s\nrequest:\n%s", strings.Join(publisher, "\n"), strings.Join(others, "\n"))
				}
			}
			if counts[50] != counts[500] {
				t.Errorf("statements (publisher, request) grow with the board: %v with 71 cards, %v with 521", counts[50], counts[500])
			}
		})
	}
}

// TestReadsWholeBoardSeesTheBoardPage: the detector above does flag the board page's
// query, which reads every task: the move test can fail.
func TestReadsWholeBoardSeesTheBoardPage(t *testing.T) {
	a, log, _ := newCountedApp(t, 0)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	log.start()
	expectStatus(t, ben.get("/projects/DEMO/board"), http.StatusOK)
	_, others := log.stop()
	if !slices.ContainsFunc(others, readsWholeBoard) {
		t.Errorf("no statement of the board page was seen reading the whole board:\n%s", strings.Join(others, "\n"))
	}
}
