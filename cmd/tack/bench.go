package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tack bench drives a running Tack server over HTTP the way a team would and reports
// latencies, throughput, failures by status, answer sizes and, given the server's pid,
// its RSS and CPU time. It never touches the database: everything goes through the JSON
// API (bearer token) and the web paths (a signed-in session), so it measures what users
// and scripts see, client included.

const benchUsage = `Usage: tack bench -scenario NAME [flags]

Drive a running Tack server (start one with "tack serve -demo") and report latencies
(p50/p99/max), ok/s, failures by status, answer sizes and, with -pid, the server's RSS
and CPU time. Scenarios:

  api-move      -clients N API clients, each moving its own card between the first two
                columns (POST .../tasks/KEY/move with If-Match from its last answer)
  browser-move  the board's htmx move (POST /projects/KEY/board/move, HX-Request): answer
                size and latency
  board-page    GET /projects/KEY/board: size and latency
  viewers       -viewers M live boards (SSE, one shared web session) while -clients API
                clients move cards at -rate moves/s in total; delivery delay per event is
                measured from the move's request start to the event's arrival at each
                viewer, matched by the SSE id (the event's seq, found in the event feed);
                late events are waited for while they keep arriving (-grace)

-seed-tasks N first creates N tasks through the API (alone, without -scenario, it only
seeds). Runs are bounded by -duration and by -moves / -pages. Only loopback addresses
are accepted unless -allow-remote is given. Exit status: 0 when the run had no failures,
1 when it had failures or could not run, 2 on a usage error.

`

// scenarioClients returns the number of clients a scenario uses by default, and whether
// the scenario exists.
func scenarioClients(scenario string) (int, bool) {
	switch scenario {
	case "api-move", "browser-move", "board-page":
		return 1, true
	case "viewers":
		return 8, true
	}
	return 0, false
}

// benchConfig is one run's settings, from the flags.
type benchConfig struct {
	base        *url.URL
	project     string
	scenario    string
	clients     int
	firstCard   int // the first of the cards the clients move (-first-card)
	viewers     int
	duration    time.Duration
	moves       int
	pages       int
	rate        float64
	grace       time.Duration
	seedTasks   int
	email       string
	password    string
	token       string
	pid         int
	repeat      int
	jsonOut     bool
	allowRemote bool
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := benchConfig{}
	rawURL := fs.String("url", "http://127.0.0.1:8080", "address of the running server")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a -url that is not a loopback address (only a server you run)")
	fs.StringVar(&cfg.project, "project", "DEMO", "key of the project whose board is used")
	fs.StringVar(&cfg.scenario, "scenario", "", "api-move, browser-move, board-page or viewers")
	fs.IntVar(&cfg.clients, "clients", 0, "concurrent clients (default 1; 8 for viewers), each moving its own card")
	fs.IntVar(&cfg.firstCard, "first-card", 0, "the clients move the board's cards from this one on (in task order), so that several tack bench runs against several instances move different cards")
	fs.IntVar(&cfg.viewers, "viewers", 100, "live board viewers (scenario viewers)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the load runs")
	fs.IntVar(&cfg.moves, "moves", 0, "stop after this many moves (0: only -duration bounds the run)")
	fs.IntVar(&cfg.pages, "pages", 0, "stop after this many board pages (0: only -duration bounds the run)")
	fs.Float64Var(&cfg.rate, "rate", -1, "moves per second in total (default: as fast as the clients go; 50 for viewers)")
	fs.DurationVar(&cfg.grace, "grace", 10*time.Second, "viewers: after the last move, wait for events still on their way until none has arrived for this long")
	fs.IntVar(&cfg.seedTasks, "seed-tasks", 0, "first create this many tasks through the API")
	fs.StringVar(&cfg.email, "email", "ana@demo.tack", "account to sign in with (web scenarios, and to create a token)")
	fs.StringVar(&cfg.password, "password", "tack-demo-ana", "password of -email")
	fs.StringVar(&cfg.token, "token", "", "API token (tack token create); without it one is created through the web UI and revoked at the end")
	fs.IntVar(&cfg.repeat, "repeat", 1, "run the scenario this many times and print each run and the medians")
	fs.IntVar(&cfg.pid, "pid", 0, "the server's process id: report its RSS (VmRSS) and CPU time from /proc")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the results as JSON")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if err := cfg.check(fs, *rawURL); err != nil {
		fmt.Fprintf(stderr, "tack bench: %v\n", err)
		return 2
	}
	if err := raiseOpenFileLimit(uint64(cfg.viewers + cfg.clients + 256)); err != nil {
		fmt.Fprintf(stderr, "tack bench: %v\n", err)
		return 1
	}
	b := newBencher(cfg, stderr)
	defer b.close()
	reps, err := b.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "tack bench: %v\n", err)
		return 1
	}
	printReports(stdout, reps, cfg.jsonOut)
	for _, rep := range reps {
		if rep.failed() {
			return 1
		}
	}
	return 0
}

// printReports prints one run's report, or with -repeat each run in a line and then the
// medians.
func printReports(w io.Writer, reps []*benchReport, asJSON bool) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(reps) == 1 {
		if asJSON {
			enc.Encode(reps[0])
		} else {
			reps[0].print(w)
		}
		return
	}
	med := medianReport(reps)
	if asJSON {
		enc.Encode(map[string]any{"runs": reps, "median": med})
		return
	}
	for i, r := range reps {
		fmt.Fprintf(w, "run %d: %s\n", i+1, r.summary())
	}
	fmt.Fprintf(w, "\nMEDIAN OF %d RUNS (failures, missed and dropped are totals over the runs)\n", len(reps))
	med.print(w)
}

// check validates the flags and fills in the scenario's defaults.
func (cfg *benchConfig) check(fs *flag.FlagSet, rawURL string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.scenario == "" && cfg.seedTasks == 0 {
		return errors.New("-scenario is required: api-move, browser-move, board-page or viewers (or -seed-tasks N alone to seed)")
	}
	defClients, ok := scenarioClients(cfg.scenario)
	if !ok && cfg.scenario != "" {
		return fmt.Errorf("-scenario must be api-move, browser-move, board-page or viewers, not %q", cfg.scenario)
	}
	if !set["clients"] {
		cfg.clients = max(defClients, 1)
	}
	if !set["rate"] {
		cfg.rate = 0
		if cfg.scenario == "viewers" {
			cfg.rate = 50
		}
	}
	switch {
	case cfg.clients < 1 || cfg.clients > 1000:
		return fmt.Errorf("-clients must be between 1 and 1000, not %d", cfg.clients)
	case cfg.firstCard < 0:
		return fmt.Errorf("-first-card must be 0 or more, not %d", cfg.firstCard)
	case cfg.viewers < 1 || cfg.viewers > 20000:
		return fmt.Errorf("-viewers must be between 1 and 20000, not %d", cfg.viewers)
	case cfg.duration < 100*time.Millisecond || cfg.duration > time.Hour:
		return fmt.Errorf("-duration must be between 100ms and 1h, not %s", cfg.duration)
	case cfg.moves < 0 || cfg.pages < 0:
		return errors.New("-moves and -pages must be 0 (no limit) or more")
	case cfg.rate < 0 || cfg.rate > 100000 || math.IsNaN(cfg.rate):
		return fmt.Errorf("-rate must be between 0 (as fast as possible) and 100000 moves/s, not %v", cfg.rate)
	case cfg.grace < 0 || cfg.grace > 10*time.Minute:
		return fmt.Errorf("-grace must be between 0 and 10m, not %s", cfg.grace)
	case cfg.seedTasks < 0 || cfg.seedTasks > 100000:
		return fmt.Errorf("-seed-tasks must be between 0 and 100000, not %d", cfg.seedTasks)
	case cfg.repeat < 1 || cfg.repeat > 100:
		return fmt.Errorf("-repeat must be between 1 and 100, not %d", cfg.repeat)
	case cfg.pid < 0:
		return fmt.Errorf("-pid must be a process id, not %d", cfg.pid)
	case strings.TrimSpace(cfg.project) == "":
		return errors.New("-project must name a project key, such as DEMO")
	case cfg.scenario == "viewers" && cfg.rate == 0:
		return errors.New("-rate must be more than 0 for viewers: delivery delay is only meaningful below the server's capacity")
	}
	if cfg.pid > 0 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", cfg.pid)); err != nil {
			return fmt.Errorf("-pid %d: no such process to read RSS from", cfg.pid)
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("-url must be the server's address, such as http://127.0.0.1:8080, not %q", rawURL)
	}
	u.Path = ""
	if !cfg.allowRemote && !isLoopback(u.Hostname()) {
		return fmt.Errorf("-url %s is not a loopback address: tack bench only loads a server on this machine unless -allow-remote is given (use it only on a server you run)", rawURL)
	}
	cfg.base = u
	return nil
}

// isLoopback reports whether host is "localhost" or a loopback IP. Other names are not
// resolved: a name's address can change between the check and the run.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// raiseOpenFileLimit raises the soft limit on open files to at least need (up to the
// hard limit): each viewer holds a connection.
func raiseOpenFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		return fmt.Errorf("this run needs %d open files but the hard limit is %d: lower -viewers or raise it (ulimit -Hn)", need, lim.Max)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise the open-file limit to %d: %w", lim.Max, err)
	}
	return nil
}

// bencher is one run: its HTTP clients, credentials and what it learned of the board.
type bencher struct {
	cfg    benchConfig
	log    io.Writer
	api    *http.Client // bearer token, no cookies
	web    *http.Client // the signed-in session's cookies; redirects are not followed
	stream *http.Client // like web, without a timeout
	start  time.Time    // monotonic origin of every timestamp of the run

	token        string
	createdToken string // the name of the token this run created, revoked at the end
	csrf         string

	columns []string
	cards   []*benchCard
}

// benchCard is a card a client moves, with the version its last answer gave.
type benchCard struct {
	ID, Key, Column string
	Version         int
}

func newBencher(cfg benchConfig, log io.Writer) *bencher {
	tr := &http.Transport{
		Proxy:                 nil, // loopback; never through a proxy from the environment
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.clients + 16,
		MaxIdleConnsPerHost:   cfg.clients + 16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		// Sizes are measured as sent: ask for no compression.
		DisableCompression: true,
	}
	jar, _ := cookiejar.New(nil)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &bencher{
		cfg:    cfg,
		log:    log,
		api:    &http.Client{Transport: tr, Timeout: 60 * time.Second, CheckRedirect: noRedirect},
		web:    &http.Client{Transport: tr, Timeout: 60 * time.Second, Jar: jar, CheckRedirect: noRedirect},
		stream: &http.Client{Transport: tr, Jar: jar, CheckRedirect: noRedirect},
		start:  time.Now(),
		token:  cfg.token,
	}
}

// now is the time since the run started, on the monotonic clock.
func (b *bencher) now() time.Duration { return time.Since(b.start) }

func (b *bencher) close() {
	if b.createdToken != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := b.revokeToken(ctx); err != nil {
			fmt.Fprintf(b.log, "tack bench: could not revoke the token %q it created (%v): revoke it on /settings/tokens\n", b.createdToken, err)
		}
	}
	b.api.Transport.(*http.Transport).CloseIdleConnections()
}

// run prepares (sign-in, token, seeding, the board's cards) and runs the scenario
// -repeat times, returning one report per run.
func (b *bencher) run(ctx context.Context) ([]*benchReport, error) {
	cfg := b.cfg
	head := &benchReport{
		Scenario: cfg.scenario, URL: cfg.base.String(), Project: cfg.project, Clients: cfg.clients,
		Duration: cfg.duration.String(), Rate: cfg.rate, LoadStart: loadAverage(),
	}
	if err := b.reachable(ctx); err != nil {
		return nil, err
	}
	needWeb := cfg.scenario == "board-page" || cfg.scenario == "browser-move" || cfg.scenario == "viewers"
	needAPI := cfg.scenario != "board-page" || cfg.seedTasks > 0
	if needWeb || (needAPI && b.token == "") {
		if err := b.signIn(ctx); err != nil {
			return nil, err
		}
	}
	if needAPI && b.token == "" {
		if err := b.createToken(ctx); err != nil {
			return nil, err
		}
	}
	if needAPI {
		if err := b.loadColumns(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.seedTasks > 0 {
		n, elapsed, err := b.seed(ctx, cfg.seedTasks)
		head.Seeded = n
		fmt.Fprintf(b.log, "tack bench: created %d tasks in %s\n", n, elapsed.Round(time.Millisecond))
		if err != nil {
			return nil, err
		}
	}
	if needAPI {
		if err := b.loadCards(ctx); err != nil {
			return nil, err
		}
		head.Cards = len(b.cards)
	}
	if cfg.scenario == "" {
		head.LoadEnd = loadAverage()
		return []*benchReport{head}, nil
	}
	var pidNote string
	if cfg.pid > 0 && !listensOn(cfg.pid, cfg.base) {
		pidNote = fmt.Sprintf("process %d has no socket listening on %s's port: the server's RSS and CPU figures may be another process's", cfg.pid, cfg.base.Host)
		fmt.Fprintf(b.log, "tack bench: warning: %s\n", pidNote)
	}
	reps := make([]*benchReport, 0, cfg.repeat)
	for i := range cfg.repeat {
		if i > 0 && needAPI {
			// A move cut off by the end of the last run may have been applied: read the
			// cards' versions again rather than start with a stale If-Match.
			if err := b.loadCards(ctx); err != nil {
				return nil, err
			}
		}
		rep := *head
		rep.LoadStart = loadAverage()
		if pidNote != "" {
			rep.Notes = []string{pidNote}
		}
		if err := b.runOnce(ctx, &rep); err != nil {
			return nil, err
		}
		reps = append(reps, &rep)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return reps, nil
}

// runOnce runs the scenario once into rep, with the server's figures around it.
func (b *bencher) runOnce(ctx context.Context, rep *benchReport) error {
	srv := newServerProbe(b.cfg.pid)
	before := srv.sample()
	selfBefore := selfCPU()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go srv.watch(ctx)

	switch b.cfg.scenario {
	case "api-move":
		rep.Ops = append(rep.Ops, b.runMoves(ctx, "api move", b.apiMove, nil))
	case "browser-move":
		rep.Ops = append(rep.Ops, b.runMoves(ctx, "browser move", b.browserMove, nil))
	case "board-page":
		ops, notes := b.runBoardPage(ctx)
		rep.Ops, rep.Notes = append(rep.Ops, ops...), append(rep.Notes, notes...)
	case "viewers":
		if err := b.runViewers(ctx, rep, srv); err != nil {
			return err
		}
	}
	if r := b.cfg.rate; r > 0 && len(rep.Ops) > 0 && rep.Ops[0].Error == "" && rep.Ops[0].OKPerSec < 0.9*r {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the clients applied %.1f moves/s of the %g/s asked for: the server answered too slowly for %d clients (raise -clients)",
			rep.Ops[0].OKPerSec, r, b.cfg.clients))
	}
	after := srv.sample()
	rep.Server = srv.report(before, after, rep.okOps())
	rep.BenchCPU = (selfCPU() - selfBefore).Round(time.Millisecond).String()
	rep.LoadEnd = loadAverage()
	return nil
}

// reachable checks that a Tack server answers at the address.
func (b *bencher) reachable(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.url("/healthz"), nil)
	res, err := b.api.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the server at %s (%v): is \"tack serve\" running there?", b.cfg.base, unwrapURLError(err))
	}
	drain(res)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/healthz answered %s: is it a Tack server?", b.cfg.base, res.Status)
	}
	return nil
}

func (b *bencher) url(path string) string { return b.cfg.base.String() + path }

func (b *bencher) projectPath(rest string) string {
	return "/projects/" + url.PathEscape(b.cfg.project) + rest
}

func (b *bencher) apiPath(rest string) string {
	return "/api/v1" + b.projectPath(rest)
}

var (
	csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)
)

// signIn signs in through the real /signin form with its CSRF token; every web request
// and every viewer then shares the session.
func (b *bencher) signIn(ctx context.Context) error {
	page, res, err := b.get(ctx, b.web, "/signin", nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /signin answered %s", res.Status)
	}
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		return errors.New("the sign-in page has no CSRF token: is it a Tack server?")
	}
	b.csrf = html.UnescapeString(string(m[1]))
	form := url.Values{"email": {b.cfg.email}, "password": {b.cfg.password}, "_csrf": {b.csrf}, "next": {"/projects"}}
	_, res, err = b.post(ctx, b.web, "/signin", form, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusSeeOther {
		msg := res.Status
		if res.StatusCode == http.StatusUnauthorized {
			msg = "wrong email or password"
		} else if res.StatusCode == http.StatusTooManyRequests {
			msg = "too many failed sign-ins; try again in " + res.Header.Get("Retry-After") + " s"
		}
		return fmt.Errorf("sign in as %s: %s (set -email and -password)", b.cfg.email, msg)
	}
	// The board page carries the token for htmx requests (the same as the form's).
	page, res, err = b.get(ctx, b.web, b.projectPath(benchBoard), nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %s: does project %s exist and can %s see it?", b.projectPath(benchBoard), res.Status, b.cfg.project, b.cfg.email)
	}
	if m := csrfMeta.FindSubmatch(page); m != nil {
		b.csrf = html.UnescapeString(string(m[1]))
	}
	return nil
}

var tokenSecret = regexp.MustCompile(`<input[^>]*id="token-secret"[^>]*value="([^"]+)"`)

// createToken creates an API token through the tokens page, as a person would.
func (b *bencher) createToken(ctx context.Context) error {
	name := "tack bench " + time.Now().UTC().Format(time.RFC3339Nano)
	page, res, err := b.post(ctx, b.web, "/settings/tokens", url.Values{"name": {name}, "_csrf": {b.csrf}}, nil)
	if err != nil {
		return err
	}
	m := tokenSecret.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("create an API token on /settings/tokens: answered %s without a token (or pass -token)", res.Status)
	}
	b.token = html.UnescapeString(string(m[1]))
	b.createdToken = name
	return nil
}

// revokeToken revokes the token createToken made.
func (b *bencher) revokeToken(ctx context.Context) error {
	page, res, err := b.get(ctx, b.web, "/settings/tokens", nil)
	if err != nil {
		return err
	}
	row := regexp.MustCompile(`data-token-id="([^"]+)"[^>]*>\s*<td>` + regexp.QuoteMeta(html.EscapeString(b.createdToken)) + `</td>`)
	m := row.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("not found on /settings/tokens (%s)", res.Status)
	}
	_, res, err = b.post(ctx, b.web, "/settings/tokens/"+url.PathEscape(string(m[1]))+"/revoke", url.Values{"_csrf": {b.csrf}}, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("revoke answered %s", res.Status)
	}
	return nil
}

// seed creates n tasks through the API, a few requests at a time, spread over the
// columns in turn as on a board in use (and as in issue 9's setup, where a move's answer
// re-rendered two columns of about a quarter of the cards each).
func (b *bencher) seed(ctx context.Context, n int) (int, time.Duration, error) {
	start := time.Now()
	var next, done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(4, n) {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				body, _ := json.Marshal(map[string]string{"title": fmt.Sprintf("Bench task %d", i), "description": "Created by tack bench -seed-tasks.",
					"column_id": b.columns[int(i-1)%len(b.columns)]})
				_, res, err := b.apiDo(ctx, http.MethodPost, b.apiPath("/tasks"), body, nil)
				if err == nil && res.StatusCode != http.StatusCreated {
					err = fmt.Errorf("create a task: %s answered %s", b.apiPath("/tasks"), res.Status)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return int(done.Load()), time.Since(start), firstErr
}

// loadColumns reads the project's columns through the API.
func (b *bencher) loadColumns(ctx context.Context) error {
	var cols struct {
		Columns []struct {
			ID string `json:"id"`
		} `json:"columns"`
	}
	if err := b.apiJSON(ctx, b.apiPath("/columns"), &cols); err != nil {
		return err
	}
	b.columns = nil
	for _, c := range cols.Columns {
		b.columns = append(b.columns, c.ID)
	}
	if len(b.columns) < 2 {
		return fmt.Errorf("project %s has %d columns; moves need two", b.cfg.project, len(b.columns))
	}
	return nil
}

// loadCards reads the project's cards (not archived) through the API, in board order.
func (b *bencher) loadCards(ctx context.Context) error {
	b.cards = nil
	cursor := ""
	for {
		var page struct {
			Tasks []struct {
				ID       string `json:"id"`
				Key      string `json:"key"`
				ColumnID string `json:"column_id"`
				Version  int    `json:"version"`
			} `json:"tasks"`
			NextCursor *string `json:"next_cursor"`
		}
		q := "/tasks?limit=200"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := b.apiJSON(ctx, b.apiPath(q), &page); err != nil {
			return err
		}
		for _, t := range page.Tasks {
			b.cards = append(b.cards, &benchCard{ID: t.ID, Key: t.Key, Column: t.ColumnID, Version: t.Version})
		}
		if page.NextCursor == nil {
			// In the order they were created, not the board's (which the moves change),
			// so that runs started at different moments pick the same cards by -first-card.
			slices.SortStableFunc(b.cards, func(x, y *benchCard) int { return cmp.Compare(taskNumber(x.Key), taskNumber(y.Key)) })
			return nil
		}
		cursor = *page.NextCursor
	}
}

// taskNumber is the number in a task key ("DEMO-12" → 12; 0 if it has none).
func taskNumber(key string) int {
	n, _ := strconv.Atoi(key[strings.LastIndexByte(key, '-')+1:])
	return n
}

// target is the column a card moves to next: between the first two columns.
func (b *bencher) target(c *benchCard) string {
	if c.Column == b.columns[0] {
		return b.columns[1]
	}
	return b.columns[0]
}

// moveResult is what one move did.
type moveResult struct {
	status  int    // 200 when applied; 0 on a transport error
	failure string // the failure's name when not ok
	size    int
	start   time.Duration // since the run started
	latency time.Duration
	card    *benchCard
	version int // the card's version after an applied move
}

// apiMove moves c through the JSON API with If-Match: its version from the last answer.
func (b *bencher) apiMove(ctx context.Context, c *benchCard) moveResult {
	to := b.target(c)
	body := []byte(`{"column_id":` + strconv.Quote(to) + `}`)
	r := moveResult{card: c, start: b.now()}
	answer, res, err := b.apiDo(ctx, http.MethodPost, b.apiPath("/tasks/"+url.PathEscape(c.Key)+"/move"), body,
		http.Header{"If-Match": {`"` + strconv.Itoa(c.Version) + `"`}})
	r.latency = b.now() - r.start
	if err != nil {
		r.failure = failureName(ctx, err)
		return r
	}
	r.status, r.size = res.StatusCode, len(answer)
	if res.StatusCode != http.StatusOK {
		r.failure = strconv.Itoa(res.StatusCode)
		b.refreshCard(ctx, c)
		return r
	}
	v, err := strconv.Atoi(strings.Trim(res.Header.Get("ETag"), `W/"`))
	if err != nil {
		r.failure = "no ETag"
		b.refreshCard(ctx, c)
		return r
	}
	c.Version, c.Column, r.version = v, to, v
	return r
}

// The board tack bench reads and moves on is every card of the project ("All tasks"):
// with an active sprint the board shows only the sprint's cards unless asked.
const (
	benchBoardFilter = "sprint=all"
	benchBoard       = "/board?" + benchBoardFilter
)

// cardVersion finds each card's id and version in a board fragment.
var cardVersion = regexp.MustCompile(`id="task-([^"]+)"[^>]*?data-version="(\d+)"`)

// browserMove moves c the way the board's drag does: an htmx form POST with the CSRF
// token. The card's new version is read from the answer's card.
func (b *bencher) browserMove(ctx context.Context, c *benchCard) moveResult {
	to := b.target(c)
	form := url.Values{"task": {c.ID}, "base_version": {strconv.Itoa(c.Version)}, "to": {"column:" + to}, "filter": {benchBoardFilter}}
	r := moveResult{card: c, start: b.now()}
	answer, res, err := b.post(ctx, b.web, b.projectPath("/board/move"), form,
		http.Header{"HX-Request": {"true"}, "X-CSRF-Token": {b.csrf}, "HX-Current-URL": {b.url(b.projectPath(benchBoard))}})
	r.latency = b.now() - r.start
	if err != nil {
		r.failure = failureName(ctx, err)
		return r
	}
	r.status, r.size = res.StatusCode, len(answer)
	if res.StatusCode != http.StatusOK {
		r.failure = strconv.Itoa(res.StatusCode)
		b.refreshCard(ctx, c)
		return r
	}
	c.Column = to
	found := false
	for _, m := range cardVersion.FindAllSubmatch(answer, -1) {
		if string(m[1]) == c.ID {
			c.Version, _ = strconv.Atoi(string(m[2]))
			found = true
			break
		}
	}
	if !found {
		// The answer does not show the card: ask the API rather than guess.
		b.refreshCard(ctx, c)
	}
	r.version = c.Version
	return r
}

// refreshCard reads a card's version and column again after a failed move, so that the
// client can go on.
func (b *bencher) refreshCard(ctx context.Context, c *benchCard) {
	var t struct {
		ColumnID string `json:"column_id"`
		Version  int    `json:"version"`
	}
	if err := b.apiJSON(ctx, b.apiPath("/tasks/"+url.PathEscape(c.Key)), &t); err == nil {
		c.Column, c.Version = t.ColumnID, t.Version
	}
}

// runMoves runs the clients, each moving its own card until the duration, the -moves
// budget or ctx ends. With a rate, moves are paced in total across the clients. Every
// applied move is passed to onMove.
func (b *bencher) runMoves(ctx context.Context, name string, move func(context.Context, *benchCard) moveResult, onMove func(moveResult)) opReport {
	cfg := b.cfg
	if len(b.cards) < cfg.firstCard+cfg.clients {
		return opReport{Name: name, Error: fmt.Sprintf("the board has %d cards, and each of the %d clients needs its own from card %d on: use -seed-tasks", len(b.cards), cfg.clients, cfg.firstCard)}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var tokens chan struct{}
	if cfg.rate > 0 {
		tokens = make(chan struct{}, cfg.clients)
		go pace(ctx, cfg.rate, tokens)
	}
	var budget atomic.Int64
	budget.Store(int64(cfg.moves))
	results := make([][]moveResult, cfg.clients)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.clients {
		card := b.cards[cfg.firstCard+i]
		wg.Go(func() {
			for ctx.Err() == nil {
				if cfg.moves > 0 && budget.Add(-1) < 0 {
					return
				}
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					}
				}
				r := move(ctx, card)
				if ctx.Err() != nil && r.failure != "" {
					return // cut off by the end of the run, not a failure of the server
				}
				results[i] = append(results[i], r)
				if r.failure == "" && onMove != nil {
					onMove(r)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	op := newOpReport(name, elapsed)
	for _, rs := range results {
		for _, r := range rs {
			op.add(r.failure, r.latency, r.size)
		}
	}
	op.finish()
	return op
}

// pace puts rate tokens per second into tokens until ctx ends. When the clients fall
// behind, tokens are not stored up beyond the channel's capacity.
func pace(ctx context.Context, rate float64, tokens chan<- struct{}) {
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for {
		select {
		case tokens <- struct{}{}:
		default:
		}
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		} else if d < -time.Second {
			next = time.Now() // far behind: do not burst to catch up
		}
	}
}

var etagHeader = regexp.MustCompile(`^(W/)?"[^"]*"$`)

// runBoardPage reads the board page with -clients readers, then checks whether the page
// answers a conditional request with 304.
func (b *bencher) runBoardPage(ctx context.Context) ([]opReport, []string) {
	cfg := b.cfg
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var budget atomic.Int64
	budget.Store(int64(cfg.pages))
	type load struct {
		failure string
		latency time.Duration
		size    int
	}
	results := make([][]load, cfg.clients)
	var etag atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				if cfg.pages > 0 && budget.Add(-1) < 0 {
					return
				}
				t0 := b.now()
				page, res, err := b.get(ctx, b.web, b.projectPath(benchBoard), nil)
				l := load{latency: b.now() - t0}
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					l.failure = failureName(ctx, err)
				case res.StatusCode != http.StatusOK:
					l.failure = strconv.Itoa(res.StatusCode)
				default:
					l.size = len(page)
					if e := res.Header.Get("ETag"); etagHeader.MatchString(e) {
						etag.Store(e)
					}
				}
				results[i] = append(results[i], l)
			}
		})
	}
	wg.Wait()
	op := newOpReport("board page", time.Since(start))
	for _, rs := range results {
		for _, l := range rs {
			op.add(l.failure, l.latency, l.size)
		}
	}
	op.finish()
	var notes []string
	if e, ok := etag.Load().(string); ok {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, res, err := b.get(cctx, b.web, b.projectPath(benchBoard), http.Header{"If-None-Match": {e}})
		if err == nil {
			notes = append(notes, fmt.Sprintf("board page has ETag %s; a request with If-None-Match answered %s", e, res.Status))
		}
	} else {
		notes = append(notes, "board page has no ETag")
	}
	return []opReport{op}, notes
}

// viewer is one live board: the events it received, by SSE id (the event's seq).
type viewer struct {
	seqs    []int64
	at      []time.Duration
	bytes   int64
	lastSeq atomic.Int64
	count   atomic.Int64 // events received, for the wait at the end
	ended   string       // why the stream ended before the run did, if it did
}

// runViewers connects the viewers, moves cards at the rate, then waits for the events
// still on their way and measures, per viewer and move, the delay from the move's
// request start to the event's arrival. The start, not the answer: the server may send
// the event before the mover has read its answer (it often does), and the delay a person
// watching sees runs from the moment the mover acted. The move's own latency is the
// "api move" row.
func (b *bencher) runViewers(ctx context.Context, rep *benchReport, srv *serverProbe) error {
	cfg := b.cfg
	headSeq, err := b.headSeq(ctx)
	if err != nil {
		return err
	}
	vctx, stopViewers := context.WithCancel(ctx)
	defer stopViewers()
	viewers := make([]*viewer, cfg.viewers)
	connected := make(chan error, cfg.viewers)
	var streams sync.WaitGroup
	slots := make(chan struct{}, 32) // connect a few at a time, as page loads would
	connectStart := time.Now()
	for i := range viewers {
		v := &viewer{}
		viewers[i] = v
		streams.Go(func() {
			slots <- struct{}{}
			b.watchBoard(vctx, v, connected, slots)
		})
	}
	var connectErr error
	for range viewers {
		if err := <-connected; err != nil && connectErr == nil {
			connectErr = err
			stopViewers()
		}
	}
	if connectErr != nil {
		streams.Wait()
		return fmt.Errorf("connect the viewers: %w", connectErr)
	}
	rep.Viewers = cfg.viewers
	rep.Notes = append(rep.Notes, fmt.Sprintf("%d viewers connected in %s, all sharing the web session of %s (one board stream)",
		cfg.viewers, time.Since(connectStart).Round(time.Millisecond), cfg.email))
	srv.markConnected()

	// seq → move is learnt from the event feed afterwards: a move's answer carries the
	// task's version, the feed each event's task and version.
	var mu sync.Mutex
	started := map[string]time.Duration{} // when each applied move was sent, by task id + "/" + version
	op := b.runMoves(ctx, "api move", b.apiMove, func(r moveResult) {
		mu.Lock()
		started[r.card.ID+"/"+strconv.Itoa(r.version)] = r.start
		mu.Unlock()
	})
	rep.Ops = append(rep.Ops, op)
	if op.Error != "" {
		return nil
	}
	want, err := b.eventSeqs(ctx, headSeq, started)
	if err != nil {
		return err
	}
	var lastWanted int64
	for seq := range want {
		lastWanted = max(lastWanted, seq)
	}
	// Wait while events are still arriving: a server that fell behind delivers late, and
	// late is not missed. Give up after -grace without progress, or when the wait has
	// lasted several times the run (a bound in case a trickle never ends).
	movesEnded := time.Now()
	lastProgress, lastCount := movesEnded, int64(-1)
	limit := movesEnded.Add(4*cfg.duration + cfg.grace)
	for ctx.Err() == nil && time.Now().Before(limit) {
		behind, count := false, int64(0)
		for _, v := range viewers {
			count += v.count.Load()
			if v.lastSeq.Load() < lastWanted {
				behind = true
			}
		}
		if !behind {
			break
		}
		if count != lastCount {
			lastCount, lastProgress = count, time.Now()
		} else if time.Since(lastProgress) > cfg.grace {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("events were still arriving for %s after the last move", time.Since(movesEnded).Round(time.Millisecond)))
	stopViewers()
	streams.Wait()

	d := newDelivery(len(want) * len(viewers))
	for _, v := range viewers {
		seen := make(map[int64]bool, len(v.seqs))
		for i, seq := range v.seqs {
			sent, ok := want[seq]
			if !ok || seen[seq] {
				continue
			}
			seen[seq] = true
			d.add(v.at[i] - sent)
		}
		d.Missed += len(want) - len(seen)
		d.Bytes += v.bytes
		if v.ended != "" {
			d.Dropped++
			d.DropReasons = appendUnique(d.DropReasons, v.ended)
		}
	}
	d.finish(len(want))
	rep.Delivery = &d
	return nil
}

// watchBoard opens one live board stream and records every event's seq and arrival until
// ctx ends. It reports on connected once the server has answered.
func (b *bencher) watchBoard(ctx context.Context, v *viewer, connected chan<- error, slots <-chan struct{}) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.url(b.projectPath("/board/stream")), nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := b.stream.Do(req)
	<-slots
	if err != nil {
		connected <- fmt.Errorf("GET %s: %v", b.projectPath("/board/stream"), unwrapURLError(err))
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		connected <- fmt.Errorf("GET %s answered %s (%s), not an event stream", b.projectPath("/board/stream"), res.Status, res.Header.Get("Content-Type"))
		return
	}
	connected <- nil
	err = scanEvents(res.Body, &v.bytes, func(id int64) {
		v.seqs = append(v.seqs, id)
		v.at = append(v.at, b.now())
		if id > v.lastSeq.Load() {
			v.lastSeq.Store(id)
		}
		v.count.Add(1)
	})
	if ctx.Err() == nil {
		v.ended = "the server ended the stream"
		if err != nil {
			v.ended = "stream ended: " + err.Error()
		}
	}
}

// scanEvents reads a Server-Sent Events stream until it ends and calls event with the id
// of each event that has one, when the blank line that ends the event arrives. Only id
// lines and blank lines are looked at; data is skipped. n counts the bytes read. It
// returns nil at the end of the stream.
func scanEvents(r io.Reader, n *int64, event func(id int64)) error {
	br := bufio.NewReaderSize(r, 32<<10)
	var id int64 = -1
	midLine := false // the last read stopped inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		*n += int64(len(line))
		if err == bufio.ErrBufferFull {
			midLine = true
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if midLine {
			midLine = false
			continue
		}
		switch {
		case len(line) == 1 || (len(line) == 2 && line[0] == '\r'): // blank line: the event ends
			if id >= 0 {
				event(id)
			}
			id = -1
		case bytes.HasPrefix(line, []byte("id:")):
			if v, err := strconv.ParseInt(string(bytes.TrimSpace(line[3:])), 10, 64); err == nil {
				id = v
			}
		}
	}
}

// headSeq returns the project's last event seq now.
func (b *bencher) headSeq(ctx context.Context) (int64, error) {
	var after int64
	for {
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextAfter int64             `json:"next_after"`
		}
		if err := b.apiJSON(ctx, b.apiPath("/events?limit=1000&after="+strconv.FormatInt(after, 10)), &page); err != nil {
			return 0, err
		}
		if len(page.Events) == 0 {
			return after, nil
		}
		after = page.NextAfter
	}
}

// eventSeqs maps the seq of each applied move's event (read from the event feed after
// after) to the time the move was sent.
func (b *bencher) eventSeqs(ctx context.Context, after int64, moves map[string]time.Duration) (map[int64]time.Duration, error) {
	want := make(map[int64]time.Duration, len(moves))
	for len(want) < len(moves) {
		var page struct {
			Events []struct {
				Seq     int64   `json:"seq"`
				Version int     `json:"version"`
				TaskID  *string `json:"task_id"`
				Type    string  `json:"type"`
			} `json:"events"`
			NextAfter int64 `json:"next_after"`
		}
		if err := b.apiJSON(ctx, b.apiPath("/events?limit=1000&after="+strconv.FormatInt(after, 10)), &page); err != nil {
			return nil, err
		}
		if len(page.Events) == 0 {
			return nil, fmt.Errorf("the event feed has %d of the %d moves' events", len(want), len(moves))
		}
		for _, e := range page.Events {
			if e.TaskID == nil {
				continue
			}
			if at, ok := moves[*e.TaskID+"/"+strconv.Itoa(e.Version)]; ok {
				want[e.Seq] = at
			}
		}
		after = page.NextAfter
	}
	return want, nil
}

// get sends a GET with the client and returns the whole body.
func (b *bencher) get(ctx context.Context, c *http.Client, path string, h http.Header) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url(path), nil)
	if err != nil {
		return nil, nil, err
	}
	copyHeader(req.Header, h)
	return b.do(c, req)
}

// post sends a form with the client and returns the whole body.
func (b *bencher) post(ctx context.Context, c *http.Client, path string, form url.Values, h http.Header) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	copyHeader(req.Header, h)
	return b.do(c, req)
}

// apiDo sends an API request with the token and returns the whole body.
func (b *bencher) apiDo(ctx context.Context, method, path string, body []byte, h http.Header) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.url(path), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	copyHeader(req.Header, h)
	return b.do(b.api, req)
}

// apiJSON GETs an API path and decodes a 200 answer into v.
func (b *bencher) apiJSON(ctx context.Context, path string, v any) error {
	body, res, err := b.apiDo(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var problem struct {
			Detail string `json:"detail"`
		}
		json.Unmarshal(body, &problem)
		return fmt.Errorf("GET %s answered %s: %s", path, res.Status, problem.Detail)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}

func (b *bencher) do(c *http.Client, req *http.Request) ([]byte, *http.Response, error) {
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, err
	}
	return body, res, nil
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

func drain(res *http.Response) {
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// failureName names a transport error for the failures table.
func failureName(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case ctx.Err() != nil:
		return "cancelled"
	}
	return "error"
}

// unwrapURLError drops the method and URL net/http puts before a transport error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// serverProbe reads the server's RSS and CPU time from /proc while the run goes on.
type serverProbe struct {
	pid int

	mu        sync.Mutex
	peakRSS   int64
	connected int64 // RSS once the viewers were connected
}

// serverSample is one reading of /proc for the server.
type serverSample struct {
	rss int64         // bytes
	cpu time.Duration // user + system
}

func newServerProbe(pid int) *serverProbe { return &serverProbe{pid: pid} }

func (s *serverProbe) sample() serverSample {
	if s.pid == 0 {
		return serverSample{}
	}
	smp := serverSample{rss: readRSS(s.pid), cpu: readCPU(s.pid)}
	s.mu.Lock()
	s.peakRSS = max(s.peakRSS, smp.rss)
	s.mu.Unlock()
	return smp
}

// watch samples every 200 ms until ctx ends, for the peak RSS.
func (s *serverProbe) watch(ctx context.Context) {
	if s.pid == 0 {
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sample()
		}
	}
}

func (s *serverProbe) markConnected() {
	if s.pid == 0 {
		return
	}
	smp := s.sample()
	s.mu.Lock()
	s.connected = smp.rss
	s.mu.Unlock()
}

func (s *serverProbe) report(before, after serverSample, ok int) *serverReport {
	if s.pid == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &serverReport{PID: s.pid, RSSStartMiB: mib(before.rss), RSSEndMiB: mib(after.rss), RSSPeakMiB: mib(s.peakRSS), CPUSeconds: (after.cpu - before.cpu).Seconds()}
	if s.connected > 0 {
		r.RSSViewersMiB = mib(s.connected)
	}
	if ok > 0 {
		r.CPUPerOpMs = float64(after.cpu-before.cpu) / float64(ok) / 1e6
	}
	return r
}

func mib(b int64) float64 { return math.Round(float64(b)/(1<<20)*10) / 10 }

// readRSS returns VmRSS from /proc/PID/status in bytes; 0 when it cannot be read.
func readRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// listensOn reports whether process pid holds a socket listening on the URL's port,
// found through /proc/net/tcp{,6} and the process's file descriptors. -pid is easy to get
// wrong ($! of a subshell), and then RSS and CPU would be another process's.
func listensOn(pid int, u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return false
	}
	hexPort := fmt.Sprintf(":%04X", n)
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			f := strings.Fields(line)
			// local_address is field 1, st (0A: LISTEN) field 3, inode field 9.
			if len(f) > 9 && strings.HasSuffix(f[1], hexPort) && f[3] == "0A" {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(dir + "/" + fd.Name()); err == nil && inodes[target] {
			return true
		}
	}
	return false
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux everywhere Go
// runs (the kernel's ABI, whatever CONFIG_HZ is).
const clockTicks = 100

// readCPU returns the process's user + system CPU time from /proc/PID/stat.
func readCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count fields after its closing ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// selfCPU returns this process's CPU time so far: the load generator's own cost.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// benchReport is a run's results, printed as a table or as JSON.
type benchReport struct {
	Scenario  string        `json:"scenario"`
	URL       string        `json:"url"`
	Project   string        `json:"project"`
	Cards     int           `json:"cards"`
	Seeded    int           `json:"seeded,omitempty"`
	Clients   int           `json:"clients"`
	Viewers   int           `json:"viewers,omitempty"`
	Duration  string        `json:"duration"`
	Rate      float64       `json:"rate,omitempty"`
	Ops       []opReport    `json:"operations,omitempty"`
	Delivery  *delivery     `json:"delivery,omitempty"`
	Server    *serverReport `json:"server,omitempty"`
	BenchCPU  string        `json:"bench_cpu,omitempty"`
	LoadStart string        `json:"load_average_start"`
	LoadEnd   string        `json:"load_average_end"`
	Notes     []string      `json:"notes,omitempty"`
}

// opReport sums up one kind of request.
type opReport struct {
	Name      string         `json:"name"`
	Error     string         `json:"error,omitempty"` // the run could not start
	OK        int            `json:"ok"`
	Failures  map[string]int `json:"failures"` // by HTTP status or transport error
	Seconds   float64        `json:"seconds"`
	OKPerSec  float64        `json:"ok_per_second"`
	P50Ms     float64        `json:"p50_ms"`
	P99Ms     float64        `json:"p99_ms"`
	MaxMs     float64        `json:"max_ms"`
	MeanBytes int            `json:"mean_bytes"`
	MaxBytes  int            `json:"max_bytes"`

	latencies []time.Duration
	bytes     int64
}

func newOpReport(name string, elapsed time.Duration) opReport {
	return opReport{Name: name, Failures: map[string]int{}, Seconds: elapsed.Seconds()}
}

// add counts one request: ok when failure is empty. Latency percentiles are over the ok
// requests only; sizes too.
func (o *opReport) add(failure string, latency time.Duration, size int) {
	if failure != "" {
		o.Failures[failure]++
		return
	}
	o.OK++
	o.latencies = append(o.latencies, latency)
	o.bytes += int64(size)
	o.MaxBytes = max(o.MaxBytes, size)
}

func (o *opReport) finish() {
	if o.Seconds > 0 {
		o.OKPerSec = math.Round(float64(o.OK)/o.Seconds*10) / 10
	}
	if o.OK > 0 {
		o.MeanBytes = int(o.bytes / int64(o.OK))
	}
	o.P50Ms, o.P99Ms, o.MaxMs = percentiles(o.latencies)
}

// delivery sums up the live events' delivery delays over every viewer.
type delivery struct {
	Moves       int      `json:"moves"`    // applied moves whose events the viewers should get
	Expected    int      `json:"expected"` // moves × viewers
	Received    int      `json:"received"`
	Missed      int      `json:"missed"`
	Dropped     int      `json:"viewers_dropped"` // streams the server ended during the run
	DropReasons []string `json:"drop_reasons,omitempty"`
	P50Ms       float64  `json:"p50_ms"`
	P99Ms       float64  `json:"p99_ms"`
	MaxMs       float64  `json:"max_ms"`
	Bytes       int64    `json:"stream_bytes"`
	MeanBytes   int64    `json:"mean_bytes_per_event"`

	delays []time.Duration
}

func newDelivery(capacity int) delivery {
	return delivery{delays: make([]time.Duration, 0, capacity)}
}

func (d *delivery) add(delay time.Duration) {
	d.delays = append(d.delays, delay)
}

func (d *delivery) finish(moves int) {
	d.Moves = moves
	d.Received = len(d.delays)
	d.Expected = d.Received + d.Missed
	if d.Received > 0 {
		d.MeanBytes = d.Bytes / int64(d.Received)
	}
	d.P50Ms, d.P99Ms, d.MaxMs = percentiles(d.delays)
}

// serverReport is what /proc said about the server.
type serverReport struct {
	PID           int     `json:"pid"`
	RSSStartMiB   float64 `json:"rss_start_mib"`
	RSSViewersMiB float64 `json:"rss_viewers_connected_mib,omitempty"`
	RSSPeakMiB    float64 `json:"rss_peak_mib"`
	RSSEndMiB     float64 `json:"rss_end_mib"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	CPUPerOpMs    float64 `json:"cpu_ms_per_ok_request"`
}

// percentiles returns the nearest-rank p50 and p99 and the maximum, in milliseconds.
func percentiles(ds []time.Duration) (p50, p99, maxMs float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ms(ds[max(i, 0)])
	}
	return rank(0.50), rank(0.99), ms(ds[len(ds)-1])
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

func (r *benchReport) okOps() int {
	n := 0
	for _, o := range r.Ops {
		n += o.OK
	}
	return n
}

// failed reports whether anything went wrong: failed requests, an operation that could
// not run, or live events that never arrived.
func (r *benchReport) failed() bool {
	for _, o := range r.Ops {
		if o.Error != "" || len(o.Failures) > 0 {
			return true
		}
	}
	return r.Delivery != nil && (r.Delivery.Missed > 0 || r.Delivery.Dropped > 0)
}

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "tack bench: %s against %s, project %s", orDash(r.Scenario, "seed only"), r.URL, r.Project)
	if r.Cards > 0 {
		fmt.Fprintf(w, " (%d cards)", r.Cards)
	}
	fmt.Fprintln(w)
	if r.Seeded > 0 {
		fmt.Fprintf(w, "seeded:     %d tasks created\n", r.Seeded)
	}
	if r.Scenario != "" {
		rate := "as fast as the clients go"
		if r.Rate > 0 {
			rate = fmt.Sprintf("%g/s in total", r.Rate)
		}
		fmt.Fprintf(w, "load:       %d client(s) for %s, rate %s", r.Clients, r.Duration, rate)
		if r.Viewers > 0 {
			fmt.Fprintf(w, ", %d viewers", r.Viewers)
		}
		fmt.Fprintln(w)
	}
	if len(r.Ops) > 0 {
		fmt.Fprintf(w, "\n%-14s %8s %9s %9s %9s %9s %11s %11s  %s\n", "operation", "ok", "ok/s", "p50 ms", "p99 ms", "max ms", "mean bytes", "max bytes", "failures")
		for _, o := range r.Ops {
			if o.Error != "" {
				fmt.Fprintf(w, "%-14s could not run: %s\n", o.Name, o.Error)
				continue
			}
			fmt.Fprintf(w, "%-14s %8d %9.1f %9.2f %9.2f %9.2f %11d %11d  %s\n", o.Name, o.OK, o.OKPerSec, o.P50Ms, o.P99Ms, o.MaxMs, o.MeanBytes, o.MaxBytes, failureList(o.Failures))
		}
	}
	if d := r.Delivery; d != nil {
		fmt.Fprintf(w, "\nlive delivery (move's request start → event at the viewer), over %d viewers × %d moves:\n", r.Viewers, d.Moves)
		fmt.Fprintf(w, "  p50 %.2f ms   p99 %.2f ms   max %.2f ms\n", d.P50Ms, d.P99Ms, d.MaxMs)
		fmt.Fprintf(w, "  received %d of %d, missed %d, viewers dropped %d", d.Received, d.Expected, d.Missed, d.Dropped)
		if len(d.DropReasons) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(d.DropReasons, "; "))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  stream bytes %d, %d per received event\n", d.Bytes, d.MeanBytes)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "\nserver pid %d: RSS %.1f MiB at start", s.PID, s.RSSStartMiB)
		if s.RSSViewersMiB > 0 {
			fmt.Fprintf(w, ", %.1f MiB with the viewers connected", s.RSSViewersMiB)
		}
		fmt.Fprintf(w, ", peak %.1f MiB, %.1f MiB at end\n", s.RSSPeakMiB, s.RSSEndMiB)
		fmt.Fprintf(w, "server CPU: %.2f s during the run", s.CPUSeconds)
		if r.okOps() > 0 {
			fmt.Fprintf(w, ", %.2f ms per ok request", s.CPUPerOpMs)
		}
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if r.BenchCPU != "" {
		fmt.Fprintf(w, "tack bench's own CPU: %s\n", r.BenchCPU)
	}
	fmt.Fprintf(w, "load average: %s at start, %s at end\n", r.LoadStart, r.LoadEnd)
}

// summary is a run in one line.
func (r *benchReport) summary() string {
	var parts []string
	for _, o := range r.Ops {
		if o.Error != "" {
			parts = append(parts, o.Name+": could not run: "+o.Error)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ok %d, %.1f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %d bytes, failures %s",
			o.Name, o.OK, o.OKPerSec, o.P50Ms, o.P99Ms, o.MaxMs, o.MeanBytes, failureList(o.Failures)))
	}
	if d := r.Delivery; d != nil {
		parts = append(parts, fmt.Sprintf("delivery p50 %.2f ms, p99 %.2f ms, max %.2f ms, missed %d, dropped %d", d.P50Ms, d.P99Ms, d.MaxMs, d.Missed, d.Dropped))
	}
	if s := r.Server; s != nil {
		srv := fmt.Sprintf("server CPU %.2f ms per ok request, RSS peak %.1f MiB", s.CPUPerOpMs, s.RSSPeakMiB)
		if s.RSSViewersMiB > 0 {
			srv += fmt.Sprintf(" (%.1f MiB with the viewers connected)", s.RSSViewersMiB)
		}
		parts = append(parts, srv)
	}
	parts = append(parts, "load average "+r.LoadStart+" → "+r.LoadEnd)
	return strings.Join(parts, "; ")
}

// medianReport is the runs' medians: every latency, rate, size and server figure is the
// median over the runs; failures, missed and dropped are totals.
func medianReport(runs []*benchReport) *benchReport {
	m := *runs[0]
	m.Ops, m.Notes, m.BenchCPU = nil, nil, ""
	m.LoadEnd = runs[len(runs)-1].LoadEnd
	med := func(f func(r *benchReport) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	for i, o := range runs[0].Ops {
		op := func(r *benchReport) *opReport { return &r.Ops[i] }
		mo := opReport{Name: o.Name, Failures: map[string]int{}}
		for _, r := range runs {
			if mo.Error == "" {
				mo.Error = op(r).Error
			}
			for k, n := range op(r).Failures {
				mo.Failures[k] += n
			}
		}
		mo.OK = int(med(func(r *benchReport) float64 { return float64(op(r).OK) }))
		mo.Seconds = med(func(r *benchReport) float64 { return op(r).Seconds })
		mo.OKPerSec = med(func(r *benchReport) float64 { return op(r).OKPerSec })
		mo.P50Ms = med(func(r *benchReport) float64 { return op(r).P50Ms })
		mo.P99Ms = med(func(r *benchReport) float64 { return op(r).P99Ms })
		mo.MaxMs = med(func(r *benchReport) float64 { return op(r).MaxMs })
		mo.MeanBytes = int(med(func(r *benchReport) float64 { return float64(op(r).MeanBytes) }))
		mo.MaxBytes = int(med(func(r *benchReport) float64 { return float64(op(r).MaxBytes) }))
		m.Ops = append(m.Ops, mo)
	}
	if runs[0].Delivery != nil {
		d := delivery{}
		for _, r := range runs {
			d.Missed += r.Delivery.Missed
			d.Dropped += r.Delivery.Dropped
			for _, reason := range r.Delivery.DropReasons {
				d.DropReasons = appendUnique(d.DropReasons, reason)
			}
		}
		dl := func(f func(d *delivery) float64) float64 {
			return med(func(r *benchReport) float64 { return f(r.Delivery) })
		}
		d.Moves = int(dl(func(d *delivery) float64 { return float64(d.Moves) }))
		d.Expected = int(dl(func(d *delivery) float64 { return float64(d.Expected) }))
		d.Received = int(dl(func(d *delivery) float64 { return float64(d.Received) }))
		d.P50Ms = dl(func(d *delivery) float64 { return d.P50Ms })
		d.P99Ms = dl(func(d *delivery) float64 { return d.P99Ms })
		d.MaxMs = dl(func(d *delivery) float64 { return d.MaxMs })
		d.Bytes = int64(dl(func(d *delivery) float64 { return float64(d.Bytes) }))
		d.MeanBytes = int64(dl(func(d *delivery) float64 { return float64(d.MeanBytes) }))
		m.Delivery = &d
	}
	if runs[0].Server != nil {
		sv := func(f func(s *serverReport) float64) float64 {
			return med(func(r *benchReport) float64 { return f(r.Server) })
		}
		m.Server = &serverReport{
			PID:           runs[0].Server.PID,
			RSSStartMiB:   sv(func(s *serverReport) float64 { return s.RSSStartMiB }),
			RSSViewersMiB: sv(func(s *serverReport) float64 { return s.RSSViewersMiB }),
			RSSPeakMiB:    sv(func(s *serverReport) float64 { return s.RSSPeakMiB }),
			RSSEndMiB:     sv(func(s *serverReport) float64 { return s.RSSEndMiB }),
			CPUSeconds:    sv(func(s *serverReport) float64 { return s.CPUSeconds }),
			CPUPerOpMs:    sv(func(s *serverReport) float64 { return s.CPUPerOpMs }),
		}
	}
	return &m
}

// median returns the middle value (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func failureList(f map[string]int) string {
	if len(f) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, f[k])
	}
	return strings.Join(parts, ", ")
}

func orDash(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
