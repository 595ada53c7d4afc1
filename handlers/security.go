package handlers

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// maxBody is the most any request may send, pages and API alike. Tack's largest honest
// input (a sync batch, a long description) is far below it.
const maxBody = 1 << 20 // 1 MiB

// errTooLarge refuses a body over maxBody; the one error handler renders it as a page or
// as a problem document.
var errTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge,
	"This request is larger than 1 MiB, the most Tack accepts. Shorten the text and try again.")

// limitBody caps every request body at maxBody before anything reads it. A declared
// Content-Length over the cap is refused without reading a byte; a chunked or
// understated body is cut off after maxBody+1 bytes. Middleware that parse forms (the
// CSRF check) swallow read errors, so the cut is remembered and turns the request's
// outcome into 413 whatever the handler answered, as long as nothing was written yet.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBody {
			// The unread body makes the connection unusable: close it after the answer.
			c.Response().Header().Set(echo.HeaderConnection, "close")
			return errTooLarge
		}
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		body := &cappedBody{r: r.Body, left: maxBody}
		r.Body = body
		err := next(c)
		if body.over.Load() && !c.Response().Committed {
			c.Response().Header().Set(echo.HeaderConnection, "close")
			return errTooLarge
		}
		return err
	}
}

// cappedBody reads at most left bytes of a request body, then fails like
// http.MaxBytesReader and remembers that the body was too long.
type cappedBody struct {
	r    io.ReadCloser
	left int64
	over atomic.Bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Read one byte more to tell "exactly maxBody" from "more than maxBody".
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			b.over.Store(true)
			return 0, &http.MaxBytesError{Limit: maxBody}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.r.Close() }

// isTooLarge reports whether err comes from reading past the body cap.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// checkOrigin refuses a state-changing request whose Origin header names another site,
// even when it carries a valid CSRF token: the token proves the form was Tack's, the
// Origin says which site sent it now. A request without Origin (older browsers, curl)
// is left to the CSRF token. Same origin means the same host as the request and the
// same scheme; with secureCookies Tack is served over HTTPS, possibly behind a proxy
// that speaks plain HTTP to it, so https is accepted too.
func checkOrigin(secureCookies bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
				return next(c)
			}
			origin := c.Request().Header.Get(echo.HeaderOrigin)
			if origin == "" {
				return next(c)
			}
			u, err := url.Parse(origin)
			if err != nil || u.Host == "" || !strings.EqualFold(u.Host, c.Request().Host) {
				return errCSRF // also "null", sent by sandboxed frames and privacy redirects
			}
			if u.Scheme != c.Scheme() && !(secureCookies && u.Scheme == "https") {
				return errCSRF
			}
			return next(c)
		}
	}
}

// strictTransport tells browsers to reach this site over HTTPS only, for a year. It is
// set only when Tack is configured as served over HTTPS (secure cookies): on plain
// HTTP it would lock users out.
func strictTransport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderStrictTransportSecurity, "max-age=31536000")
		return next(c)
	}
}
