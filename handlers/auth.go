package handlers

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

const sessionUserKey = "user_id"

// loadUser puts the signed-in user, if any, in the context.
func (h *Handler) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxSession, true)
		id := h.sessions.GetString(ctx(c), sessionUserKey)
		if id != "" {
			u, err := h.store.User(ctx(c), id)
			switch {
			case err == nil:
				c.Set(ctxUser, u)
			case store.ErrorCode(err) == store.ENOTFOUND:
				h.sessions.Remove(ctx(c), sessionUserKey)
			default:
				return err
			}
		}
		return next(c)
	}
}

// requireUser sends anonymous visitors to the sign-in page, remembering where they were going.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := c.Get(ctxUser).(*store.User); ok {
			return next(c)
		}
		if c.Request().Method != http.MethodGet {
			return store.Errorf(store.EUNAUTHORIZED, "Sign in to do that.")
		}
		return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// home is the landing page for visitors; people signed in go on to their projects.
func (h *Handler) home(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/projects")
	}
	return render(c, http.StatusOK, views.Landing(h.page(c, "Plan and track your team's work"), views.SignInForm{SignUpClosed: !h.signUpOpen}))
}

// safeNext keeps redirects after sign-in on this site. Control characters are refused
// because browsers drop tabs and newlines from URLs: "/\t/evil.example" becomes "//evil.example".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, unicode.IsControl) {
		return "/projects"
	}
	return next
}

func (h *Handler) signInPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return render(c, http.StatusOK, views.SignIn(h.page(c, "Sign in"), views.SignInForm{Next: c.QueryParam("next"), SignUpClosed: !h.signUpOpen}))
}

func (h *Handler) signIn(c echo.Context) error {
	form := views.SignInForm{Email: c.FormValue("email"), Next: c.FormValue("next"), SignUpClosed: !h.signUpOpen}
	addr := c.RealIP()
	wait, locked, err := h.store.BeginSignIn(ctx(c), form.Email, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		form.Error = throttleMessage(wait, locked, h.store.Now())
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return render(c, http.StatusTooManyRequests, views.SignIn(h.page(c, "Sign in"), form))
	}
	u, err := h.store.Authenticate(ctx(c), form.Email, c.FormValue("password"))
	if err == nil {
		if err := h.store.SignInSucceeded(ctx(c), form.Email, addr); err != nil {
			// The person is signed in all the same: only the attempt is not given back.
			h.log.Error("sign-in throttle: record a success", "err", err)
		}
	}
	if store.ErrorCode(err) == store.EUNAUTHORIZED {
		form.Error = store.ErrorMessage(err)
		return render(c, http.StatusUnauthorized, views.SignIn(h.page(c, "Sign in"), form))
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(form.Next))
}

// startSession signs u in with a fresh session token, so a planted token is useless.
func (h *Handler) startSession(c echo.Context, u *store.User) error {
	if err := h.sessions.RenewToken(ctx(c)); err != nil {
		return err
	}
	h.sessions.Put(ctx(c), sessionUserKey, u.ID)
	return nil
}

// errSignUpClosed refuses public sign-up when it is closed.
var errSignUpClosed = store.Errorf(store.EFORBIDDEN, "Sign-up is by invitation on this Tack: ask a project admin for an invitation link.")

func (h *Handler) signUpPage(c echo.Context) error {
	if !h.signUpOpen {
		return render(c, http.StatusOK, views.SignUpClosed(h.page(c, "Sign-up is by invitation")))
	}
	return render(c, http.StatusOK, views.SignUp(h.page(c, "Create your account"), views.SignUpForm{}))
}

func (h *Handler) signUp(c echo.Context) error {
	if !h.signUpOpen {
		return errSignUpClosed
	}
	form := views.SignUpForm{Email: c.FormValue("email"), Name: c.FormValue("name")}
	u, err := h.store.RegisterUser(ctx(c), store.NewUser{Email: form.Email, Name: form.Name, Password: c.FormValue("password")})
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return render(c, http.StatusUnprocessableEntity, views.SignUp(h.page(c, "Create your account"), form))
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.flash(c, "Welcome to Tack, "+u.Name+". Create a project to get started.")
	return c.Redirect(http.StatusSeeOther, "/projects")
}

func (h *Handler) signOut(c echo.Context) error {
	if err := h.sessions.Destroy(ctx(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin")
}

// fieldErrors turns a validation error into a field → message map for forms.
func fieldErrors(err error) map[string]string {
	var e *store.Error
	if !errors.As(err, &e) {
		return map[string]string{"": store.ErrorMessage(err)}
	}
	return map[string]string{e.Field: e.Message}
}
