package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/pgtest"
)

// cliArgsEnv, when set (to a JSON array of arguments), makes the test binary run that
// tack command line instead of the tests: a test's tack processes are this binary.
const cliArgsEnv = "TACK_TEST_CLI_ARGS"

func TestMain(m *testing.M) {
	if v := os.Getenv(cliArgsEnv); v != "" {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", cliArgsEnv, err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, open: testOpen}
		code := c.run(ctx, args)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if pgServer != nil {
		pgServer.Stop()
	}
	os.Exit(code)
}

// The test binary's PostgreSQL server, started by the first test that needs it.
var (
	pgOnce   sync.Once
	pgServer *pgtest.Server
	pgErr    error
)

// emptyPostgres returns the URL of a new, empty PostgreSQL database, dropped at the
// test's end. Without PostgreSQL installed the test is skipped, except under CI=true.
func emptyPostgres(t *testing.T) string {
	t.Helper()
	pgOnce.Do(func() { pgServer, pgErr = pgtest.Start() })
	if pgErr != nil {
		if errors.Is(pgErr, pgtest.ErrNoBinaries) && os.Getenv("CI") != "true" {
			t.Skipf("no PostgreSQL: %v", pgErr)
		}
		t.Fatal(pgErr)
	}
	url, drop, err := pgServer.CreateDatabase(context.Background(), "template0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop() })
	return url
}

// tackProcess is a `tack serve` running in a process of its own.
type tackProcess struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	url            string
}

// startServe starts `tack serve -addr 127.0.0.1:0` with args in a new process and waits
// until it says where it serves; the test's end stops it (SIGTERM) and fails the test if
// it did not exit cleanly.
func startServe(t *testing.T, name string, args ...string) *tackProcess {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(append([]string{"serve", "-addr", "127.0.0.1:0"}, args...))
	p := &tackProcess{name: name, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	p.cmd = exec.Command(self)
	p.cmd.Env = append(os.Environ(), cliArgsEnv+"="+string(line))
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s: exit: %v\nstderr: %s", name, err, p.stderr.String())
			}
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			t.Errorf("%s did not stop within 30 s of SIGTERM", name)
		}
	})
	serving := regexp.MustCompile(`Tack is serving (http://\S+)`)
	wait := waitContext(t)
	for {
		if m := serving.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited before serving: %v\nstdout: %s\nstderr: %s", name, err, p.stdout.String(), p.stderr.String())
		case <-wait.Done():
			t.Fatalf("%s did not serve before the test's deadline\nstdout: %s\nstderr: %s", name, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// apiClient calls one instance's JSON API with one person's token.
type apiClient struct {
	base, token string
	http        *http.Client
}

func (c apiClient) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

type apiTask struct {
	ID       string `json:"id"`
	Key      string `json:"key"`
	ColumnID string `json:"column_id"`
	Version  int    `json:"version"`
}

func (c apiClient) task(t *testing.T, key string) apiTask {
	t.Helper()
	code, body := c.do(t, http.MethodGet, "/projects/DEMO/tasks/"+key, nil)
	var tk apiTask
	if code != http.StatusOK || json.Unmarshal(body, &tk) != nil {
		t.Fatalf("GET %s: %d %s", key, code, body)
	}
	return tk
}

func (c apiClient) move(t *testing.T, tk apiTask, column string) (int, []byte) {
	t.Helper()
	return c.do(t, http.MethodPost, "/projects/DEMO/tasks/"+tk.Key+"/move", map[string]any{"column_id": column, "base_version": tk.Version})
}

// head is the position of the project's last event, read through the feed.
func (c apiClient) head(t *testing.T) int64 {
	t.Helper()
	var after int64
	for {
		code, body := c.do(t, http.MethodGet, fmt.Sprintf("/projects/DEMO/events?limit=1000&after=%d", after), nil)
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextAfter int64             `json:"next_after"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("GET events: %d %s", code, body)
		}
		if len(page.Events) == 0 {
			return after
		}
		after = page.NextAfter
	}
}

// streamEvent is one event an API stream sent, and when it arrived.
type streamEvent struct {
	Seq     int64
	Type    string
	TaskID  string
	Arrived time.Time
}

// openStream opens the project's API event stream on an instance, from Last-Event-ID
// lastID (-1: none), and sends what it receives on the returned channel until ctx ends.
func (c apiClient) openStream(t *testing.T, ctx context.Context, lastID int64) <-chan streamEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/projects/DEMO/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if lastID >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatalf("open the stream on %s: %v", c.base, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("open the stream on %s: %s", c.base, res.Status)
	}
	out := make(chan streamEvent, 1024)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e struct {
				Seq    int64   `json:"seq"`
				Type   string  `json:"type"`
				TaskID *string `json:"task_id"`
			}
			if json.Unmarshal([]byte(data), &e) != nil {
				continue
			}
			se := streamEvent{Seq: e.Seq, Type: e.Type, Arrived: time.Now()}
			if e.TaskID != nil {
				se.TaskID = *e.TaskID
			}
			select {
			case out <- se:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// next waits for the stream's next event matching ok, failing the test after a minute.
func next(t *testing.T, events <-chan streamEvent, what string, ok func(streamEvent) bool) streamEvent {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case e, open := <-events:
			if !open {
				t.Fatalf("the stream ended before %s", what)
			}
			if ok(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s within a minute", what)
		}
	}
}

// TestTwoInstancesOnPostgreSQL runs two `tack serve` processes on one PostgreSQL
// database (issue 13): an API stream on instance B hears of moves made through
// instance A (the latencies are logged); two people moving one card to different
// columns at the same instant, one through each instance, get exactly one 200 and one
// 409, 40 rounds; an API stream that reconnects to the other instance with
// Last-Event-ID gets every event it missed, in order, none twice. Without PostgreSQL
// installed it is skipped, except under CI=true.
func TestTwoInstancesOnPostgreSQL(t *testing.T) {
	db := emptyPostgres(t)
	ctx := context.Background()

	a := startServe(t, "instance A", "-db", db, "-demo")
	b := startServe(t, "instance B", "-db", db)
	token := func(email string) string {
		code, out, errOut := runTack(t, nil, "token", "create", "-email", email, "-db", db)
		if code != 0 {
			t.Fatalf("tack token create: exit %d: %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	ana, ben := store.DemoUsers[0], store.DemoUsers[1]
	hc := &http.Client{Timeout: 30 * time.Second}
	anaA := apiClient{a.url, token(ana.Email), hc}
	benB := apiClient{b.url, token(ben.Email), hc}
	anaB := apiClient{b.url, anaA.token, hc}

	var columns []string
	{
		code, body := anaA.do(t, http.MethodGet, "/projects/DEMO/columns", nil)
		var cs struct {
			Columns []struct {
				ID string `json:"id"`
			} `json:"columns"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &cs) != nil || len(cs.Columns) < 3 {
			t.Fatalf("GET columns: %d %s", code, body)
		}
		for _, c := range cs.Columns {
			columns = append(columns, c.ID)
		}
	}
	other := func(not ...string) []string {
		var out []string
		for _, c := range columns {
			if !slices.Contains(not, c) {
				out = append(out, c)
			}
		}
		return out
	}

	streamCtx, closeStream := context.WithCancel(ctx)
	onB := anaB.openStream(t, streamCtx, anaB.head(t))

	t.Run("a move through A reaches a stream on B", func(t *testing.T) {
		tk := anaA.task(t, "DEMO-1")
		var lat []time.Duration
		for i := range 30 {
			to := other(tk.ColumnID)[i%2]
			sent := time.Now()
			code, body := anaA.move(t, tk, to)
			if code != http.StatusOK {
				t.Fatalf("move %d through A: %d %s", i, code, body)
			}
			if err := json.Unmarshal(body, &tk); err != nil {
				t.Fatal(err)
			}
			e := next(t, onB, fmt.Sprintf("move %d of %s on B's stream", i, tk.Key), func(e streamEvent) bool {
				return e.TaskID == tk.ID && e.Type == store.TypeTaskMoved && e.Seq > 0
			})
			lat = append(lat, e.Arrived.Sub(sent))
		}
		slices.Sort(lat)
		t.Logf("move through A (request sent) → event on B's stream: median %v, 90th %v, max %v over %d moves",
			lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1], len(lat))
	})

	t.Run("simultaneous conflicting moves through A and B: one 200, one 409", func(t *testing.T) {
		for round := range 40 {
			tk := anaA.task(t, "DEMO-2")
			to := other(tk.ColumnID)
			var codes [2]int
			var bodies [2][]byte
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, c := range []apiClient{anaA, benB} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i], bodies[i] = c.move(t, tk, to[i])
				}()
			}
			close(start)
			wg.Wait()
			got := []int{codes[0], codes[1]}
			slices.Sort(got)
			if !slices.Equal(got, []int{http.StatusOK, http.StatusConflict}) {
				t.Fatalf("round %d: statuses %v (A: %s; B: %s), want one 200 and one 409", round, codes, bodies[0], bodies[1])
			}
			winner := to[0]
			if codes[1] == http.StatusOK {
				winner = to[1]
			}
			// Both instances now agree on where the card is.
			if ca, cb := anaA.task(t, "DEMO-2").ColumnID, anaB.task(t, "DEMO-2").ColumnID; ca != winner || cb != winner {
				t.Fatalf("round %d: the card is in %s on A and %s on B, want %s (the 200's)", round, ca, cb, winner)
			}
		}
	})

	t.Run("a stream reconnecting to the other instance with Last-Event-ID misses nothing", func(t *testing.T) {
		// A stream on A follows until the first of these moves, then is cut.
		head := anaA.head(t)
		cutCtx, cut := context.WithCancel(ctx)
		onA := anaA.openStream(t, cutCtx, head)
		tk := benB.task(t, "DEMO-3")
		code, body := benB.move(t, tk, other(tk.ColumnID)[0])
		if code != http.StatusOK {
			t.Fatalf("move through B: %d %s", code, body)
		}
		last := next(t, onA, "the move through B on A's stream", func(e streamEvent) bool { return e.Seq > head }).Seq
		cut()
		// While it is away: moves through both instances.
		for i := range 10 {
			c := []apiClient{anaA, benB}[i%2]
			tk := c.task(t, "DEMO-4")
			if code, body := c.move(t, tk, other(tk.ColumnID)[i%2]); code != http.StatusOK {
				t.Fatalf("move %d: %d %s", i, code, body)
			}
		}
		code, body = anaA.do(t, http.MethodGet, fmt.Sprintf("/projects/DEMO/events?limit=1000&after=%d", last), nil)
		var missed struct {
			Events []struct {
				Seq int64 `json:"seq"`
			} `json:"events"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &missed) != nil || len(missed.Events) < 10 {
			t.Fatalf("GET events after %d: %d %s", last, code, body)
		}
		resumed, stop := context.WithCancel(ctx)
		defer stop()
		onB2 := anaB.openStream(t, resumed, last)
		for _, want := range missed.Events {
			e := next(t, onB2, fmt.Sprintf("event %d on the resumed stream", want.Seq), func(streamEvent) bool { return true })
			if e.Seq != want.Seq {
				t.Fatalf("the stream resumed on B after %d sent %d where the log has %d", last, e.Seq, want.Seq)
			}
		}
		t.Logf("resumed on B after %d: %d missed events, in order, none twice", last, len(missed.Events))
	})

	t.Run("password guesses alternating between A and B meet one throttle", func(t *testing.T) {
		// One browser (one cookie jar: the instances differ only by port, which
		// cookies ignore, as behind one load balancer) guesses Ana's password from
		// 127.0.0.1, alternately through A and B. One instance delays the sixth
		// attempt after five failures (store/throttle.go); counted apart, A and B
		// would each have seen at most three. The lockout at 20 needs 15 minutes of
		// growing delays on the real clock: the store's tests cover it across
		// instances with a test clock (TestSignInThrottleAcrossInstances).
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
		signIn := func(base, password string) (int, string, string) {
			t.Helper()
			res, err := browser.Get(base + "/signin")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			m := csrf.FindSubmatch(page)
			if res.StatusCode != http.StatusOK || m == nil {
				t.Fatalf("GET %s/signin: %s, CSRF token found: %v", base, res.Status, m != nil)
			}
			form := url.Values{"_csrf": {html.UnescapeString(string(m[1]))}, "email": {ana.Email}, "password": {password}}
			res, err = browser.PostForm(base+"/signin", form)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, res.Header.Get("Retry-After"), string(body)
		}
		instances := []*tackProcess{a, b}
		var fifthSent time.Time
		for i := range 5 {
			fifthSent = time.Now()
			if code, _, body := signIn(instances[i%2].url, fmt.Sprintf("guess %d", i)); code != http.StatusUnauthorized {
				t.Fatalf("guess %d through %s: %d, want 401\n%.300s", i+1, instances[i%2].name, code, body)
			}
		}
		// Both instances counted into one row per key: 5 failures under the pair, the
		// address and the account.
		sqlDB, err := sql.Open("pgx", db)
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		var rows, most int
		if err := sqlDB.QueryRow(`SELECT COUNT(*), COALESCE(MAX(failures), 0) FROM signin_throttle`).Scan(&rows, &most); err != nil {
			t.Fatal(err)
		}
		if rows != 3 || most != 5 {
			t.Fatalf("signin_throttle holds %d rows, at most %d failures; want 3 keys with 5 failures each", rows, most)
		}
		// The sixth, the right password, through B (the fifth went through A): delayed
		// for 1 s after the fifth. Only a machine so slow that a second passed since
		// the fifth was sent can make that inconclusive (the delay was over).
		code, retry, body := signIn(b.url, ana.Password)
		if late := time.Since(fifthSent); code != http.StatusTooManyRequests && late >= time.Second {
			// Not a skip: the shared count above is this sub-test's proof.
			t.Logf("the sixth attempt came %v after the fifth was sent, past the 1 s delay: status %d", late, code)
			return
		}
		if code != http.StatusTooManyRequests || retry != "1" || !strings.Contains(body, "Too many failed sign-in attempts") {
			t.Fatalf("the sixth attempt through B: %d (Retry-After %q), want 429 after 5 failures through A and B\n%.300s", code, retry, body)
		}
	})
	closeStream()
}
