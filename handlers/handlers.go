// Package handlers is Tack's HTTP layer: it parses requests, calls one store command or
// query, and renders a views component. Rules live in store, markup in views.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// Config holds the settings of the HTTP layer.
type Config struct {
	// SecureCookies marks cookies Secure; set it when Tack is served over HTTPS.
	SecureCookies bool
	// TrustProxy takes the client's address from X-Forwarded-For when the request comes
	// from a loopback or private address (a reverse proxy on the same network). Off, the
	// address is the connection's peer and X-Forwarded-For is ignored.
	TrustProxy bool
	// ClosedSignUp turns public sign-up off: accounts then come from "tack user add" or
	// from invitation links that project admins create.
	ClosedSignUp bool
	Logger       *slog.Logger
}

// Handler serves Tack's web pages.
type Handler struct {
	store      *store.Store
	sessions   *scs.SessionManager
	cleanup    store.SessionStore
	log        *slog.Logger
	live       *Live
	pub        *publisher
	commits    *commitSignal // wakes API event streams
	signUpOpen bool          // public sign-up is open
	secure     bool          // served over HTTPS
	closing    sync.Once
}

// New returns an Echo server with every route of Tack registered. Call Close when done.
func New(st *store.Store, cfg Config) (*echo.Echo, *Handler) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	sessStore := st.Sessions(10 * time.Minute)
	sm := scs.New()
	sm.Store = sessStore
	sm.Lifetime = 14 * 24 * time.Hour
	sm.IdleTimeout = 7 * 24 * time.Hour
	sm.Cookie.Name = "tack_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.SecureCookies
	h := &Handler{store: st, sessions: sm, cleanup: sessStore, log: cfg.Logger,
		live:       NewLive(LiveConfig{Logger: cfg.Logger}),
		signUpOpen: !cfg.ClosedSignUp, secure: cfg.SecureCookies}
	h.pub = newPublisher(h)
	h.commits = newCommitSignal(st)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	// The client's address (sign-in throttling) is the connection's peer unless a
	// reverse proxy is trusted: otherwise anyone could name any address in X-Forwarded-For.
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	h.routes(e, cfg)
	return e, h
}

// Close ends every live stream, stops publishing and stops the session cleanup. It is
// safe to call more than once; register it with http.Server.RegisterOnShutdown so that
// shutdown does not wait for open streams.
func (h *Handler) Close() {
	h.closing.Do(func() {
		h.commits.close() // ends open API event streams
		h.live.Close()
		h.pub.close()
		h.cleanup.StopCleanup()
	})
}

// render writes a component with a status code, rendering into a buffer first so a
// render error still becomes a clean 500.
func render(c echo.Context, status int, component templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := component.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// page returns the data every page's layout needs.
func (h *Handler) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, Now: h.store.Now(), Path: c.Request().URL.Path}
	if u, ok := c.Get(ctxUser).(*store.User); ok {
		p.User = u
	}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	if pr, ok := c.Get(ctxProject).(*store.Project); ok {
		p.Project = pr
		p.Role, _ = c.Get(ctxRole).(store.Role)
	}
	if loaded, _ := c.Get(ctxSession).(bool); loaded {
		p.Flash = h.sessions.PopString(c.Request().Context(), "flash")
	}
	return p
}

// flash stores a one-line message shown on the next page.
func (h *Handler) flash(c echo.Context, msg string) {
	h.sessions.Put(c.Request().Context(), "flash", msg)
}

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// healthz answers 200 when the database answers.
func (h *Handler) healthz(c echo.Context) error {
	if err := h.store.Ping(ctx(c)); err != nil {
		h.log.Error("health check failed", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}
