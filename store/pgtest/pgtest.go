// Package pgtest runs a throwaway PostgreSQL server for tests: one per test binary,
// started from the installed binaries into a temporary directory, listening on a free
// loopback port, with durability turned off (nothing in it outlives the tests). Tests
// get a fresh database each from a template, which costs a file copy rather than a
// migration.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// ErrNoBinaries is returned by Start when no PostgreSQL server binaries are installed.
var ErrNoBinaries = errors.New("pgtest: no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or PATH: install Debian's postgresql package")

// Server is a running throwaway PostgreSQL server.
type Server struct {
	dir  string // the data directory's parent; removed by Stop
	port int
	cmd  *exec.Cmd
	done chan error // receives the server process's exit
	dbs  atomic.Int64

	admin *sql.DB // connections to the postgres database, for CREATE and DROP DATABASE
}

// dirPrefix names the temporary directories Start creates, so that a later run can
// remove those a killed test binary left behind.
const dirPrefix = "tack-pgtest-"

// Start finds the PostgreSQL binaries, initialises a cluster in a new temporary
// directory and starts a server on a free port of 127.0.0.1. It returns ErrNoBinaries
// (wrapped) when PostgreSQL is not installed. The server dies with the test binary,
// even one that panics: it is started with a parent-death signal.
//
// When the test binary runs as root, the server runs as the user postgres (initdb and
// postgres refuse root), or nobody when there is no such user.
func Start() (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	cred, err := serverUser(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "tack", "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		err = s.startServer(bin, data, cred)
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// startServer starts postgres on s.port and waits until it accepts connections.
func (s *Server) startServer(bin, data string, cred *syscall.Credential) error {
	// The parent-death signal is sent when the thread that started the child exits, so
	// the child is started from a goroutine locked to its thread that never ends.
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
			"-p", strconv.Itoa(s.port), "-h", "127.0.0.1", "-k", s.dir,
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300", "-c", "shared_buffers=64MB",
			"-c", "log_min_messages=FATAL", "-c", "logging_collector=off")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
		log, err := os.Create(filepath.Join(s.dir, "server.log"))
		if err != nil {
			started <- err
			return
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			log.Close()
			started <- err
			return
		}
		s.cmd = cmd
		s.done = make(chan error, 1)
		started <- nil
		s.done <- cmd.Wait()
		log.Close()
		select {} // keep the thread, and with it the parent-death signal, to the end
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			s.admin = db
			return nil
		}
		select {
		case werr := <-s.done:
			db.Close()
			s.cmd, s.done = nil, nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			return fmt.Errorf("pgtest: postgres exited (%v):\n%s", werr, log)
		default:
		}
		if time.Now().After(deadline) {
			db.Close()
			return fmt.Errorf("pgtest: postgres did not accept connections within 30s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// URL returns the connection URL of database name on the server.
func (s *Server) URL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User("tack"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + name}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// CreateTemplate creates database name and runs setup on its URL (to migrate it, say);
// databases made by CreateDatabase(…, name) start as copies of it. setup must close
// every connection it opens: PostgreSQL copies no database that has connections.
func (s *Server) CreateTemplate(ctx context.Context, name string, setup func(url string) error) error {
	if err := s.exec(ctx, `CREATE DATABASE `+quoteIdent(name)); err != nil {
		return err
	}
	return setup(s.URL(name))
}

// CreateDatabase creates a new, uniquely named database as a copy of template and
// returns its URL and a function that drops it (closing any connection left to it).
func (s *Server) CreateDatabase(ctx context.Context, template string) (string, func() error, error) {
	name, err := s.createCopy(ctx, template)
	if err != nil {
		return "", nil, err
	}
	drop := func() error {
		return s.exec(context.Background(), `DROP DATABASE `+quoteIdent(name)+` WITH (FORCE)`)
	}
	return s.URL(name), drop, nil
}

// createCopy creates a new, uniquely named database as a copy of template.
func (s *Server) createCopy(ctx context.Context, template string) (string, error) {
	name := fmt.Sprintf("t%d", s.dbs.Add(1))
	if err := s.exec(ctx, `CREATE DATABASE `+quoteIdent(name)+` TEMPLATE `+quoteIdent(template)); err != nil {
		return "", err
	}
	return name, nil
}

// exec runs one statement on the server's postgres database.
func (s *Server) exec(ctx context.Context, stmt string) error {
	if _, err := s.admin.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("pgtest: %s: %w", stmt, err)
	}
	return nil
}

// Stop stops the server (immediate shutdown: nothing in it is kept) and removes its
// directory. It is safe to call more than once.
func (s *Server) Stop() {
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		s.cmd = nil
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}

// findBinaries returns the directory holding initdb and postgres: the newest
// /usr/lib/postgresql/N/bin, else the one on PATH.
func findBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

// version is N of /usr/lib/postgresql/N/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// serverUser returns the credential the server runs with: none (this process's user)
// unless running as root, then postgres or nobody, made the owner of dir.
func serverUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and no user postgres or nobody to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	// The temporary directory's parent must let that user in (it does for /tmp).
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on at the moment.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale removes the directories of servers whose test binary was killed before
// it could remove them: those whose postmaster is gone, older than a minute (a younger
// one may be another binary's server starting up).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(pid), "\n")
			if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil {
				// EPERM: it runs, as another user.
				if err := syscall.Kill(n, 0); err == nil || errors.Is(err, syscall.EPERM) {
					continue
				}
			}
		}
		os.RemoveAll(d)
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Supply hands out fresh copies of a template database, made ahead of need so that a
// test rarely waits for CREATE DATABASE, and drops used ones in the background.
type Supply struct {
	s        *Server
	template string
	ready    chan made
	drops    chan string
	stop     chan struct{}
	maker    sync.WaitGroup
	dropper  sync.WaitGroup
}

type made struct {
	name string
	err  error
}

// Supply starts making copies of template, ahead at a time. Close stops it.
func (s *Server) Supply(template string, ahead int) *Supply {
	p := &Supply{s: s, template: template, ready: make(chan made, ahead), drops: make(chan string, 64), stop: make(chan struct{})}
	p.maker.Add(1)
	go func() {
		defer p.maker.Done()
		for {
			name, err := s.createCopy(context.Background(), template)
			select {
			case p.ready <- made{name, err}:
			case <-p.stop:
				if err == nil {
					s.exec(context.Background(), `DROP DATABASE `+quoteIdent(name)+` WITH (FORCE)`)
				}
				return
			}
		}
	}()
	p.dropper.Add(1)
	go func() {
		defer p.dropper.Done()
		for name := range p.drops {
			s.exec(context.Background(), `DROP DATABASE `+quoteIdent(name)+` WITH (FORCE)`)
		}
	}()
	return p
}

// Take returns the URL of a fresh copy of the template and a function that gives it
// back to be dropped (closing any connection left to it) once its user is done.
func (p *Supply) Take() (string, func(), error) {
	m := <-p.ready
	if m.err != nil {
		return "", nil, m.err
	}
	return p.s.URL(m.name), func() { p.drops <- m.name }, nil
}

// Close stops making copies and waits for the ones given back to be dropped. Take and
// the functions it returned must not be called after.
func (p *Supply) Close() {
	close(p.stop)
	p.maker.Wait()
	close(p.ready)
	for m := range p.ready {
		if m.err == nil {
			p.drops <- m.name
		}
	}
	close(p.drops)
	p.dropper.Wait()
}
