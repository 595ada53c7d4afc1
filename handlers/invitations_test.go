package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

func TestClosedSignUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		closed bool
	}{{"open", false}, {"closed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAppWith(t, appOptions{cfg: handlers.Config{ClosedSignUp: tc.closed}})
			b := a.browser()
			signin := b.get("/signin")
			expectStatus(t, signin, http.StatusOK)
			if got := signin.Doc.Find(`a[href="/signup"]`).Length(); got != map[bool]int{false: 1, true: 0}[tc.closed] {
				t.Errorf("sign-in page has %d links to /signup", got)
			}
			page := b.get("/signup")
			expectStatus(t, page, http.StatusOK)
			if !tc.closed {
				b.signUp("dora@example.com", "Dora", "dora-password")
				return
			}
			expectText(t, page, "h1", "Sign-up is by invitation")
			if page.Doc.Find(`form[action="/signup"]`).Length() != 0 {
				t.Error("closed sign-up still shows the form")
			}
			r := b.post("/signup", url.Values{"email": {"dora@example.com"}, "name": {"Dora"}, "password": {"dora-password"}})
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "Sign-up is by invitation")
			if _, err := a.st.UserByEmail(a.ctx, "dora@example.com"); store.ErrorCode(err) != store.ENOTFOUND {
				t.Errorf("a refused sign-up created an account: %v", err)
			}
		})
	}
}

func TestInvitationLinks(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a := newAppWith(t, appOptions{cfg: handlers.Config{ClosedSignUp: true}, now: clock.Now})
	admin := a.browser()
	admin.signIn(anaEmail, anaPass)

	// invite creates a link on the members page and returns its path.
	invite := func(role, days string) string {
		t.Helper()
		page := admin.get("/projects/DEMO/members")
		expectStatus(t, page, http.StatusOK)
		r := admin.submit(page, `form[action="/projects/DEMO/invitations"]`, map[string]string{"role": role, "expires": days})
		expectStatus(t, r, http.StatusCreated)
		link := r.Doc.Find(`[data-testid="invitation-url"]`).AttrOr("value", "")
		u, err := url.Parse(link)
		if err != nil || !strings.HasPrefix(u.Path, "/invite/inv_") || u.Host == "" {
			t.Fatalf("invitation link %q", link)
		}
		expectText(t, r, `[data-testid="created-invitation"]`, "Copy this link now", "joins as "+role)
		return u.Path
	}

	// A visitor creates an account through the link and lands in the project as viewer.
	path := invite("viewer", "7")
	page := admin.get("/projects/DEMO/members")
	if n := page.Doc.Find(`[data-testid="invitation"]`).Length(); n != 1 {
		t.Fatalf("members page lists %d pending invitations, want 1", n)
	}
	dora := a.browser()
	form := dora.get(path)
	expectStatus(t, form, http.StatusOK)
	expectText(t, form, "main", "Ana Lima invited you to join project DEMO as viewer")
	r := dora.submit(form, `form[action="`+path+`"]`, map[string]string{"name": "Dora", "email": "dora@example.com", "password": "dora-password"})
	expectRedirect(t, r, "/projects/DEMO")
	if _, role, err := a.st.ProjectFor(a.ctx, a.user("dora@example.com").ID, "DEMO"); err != nil || role != store.RoleViewer {
		t.Fatalf("Dora's role in DEMO = %q, %v", role, err)
	}
	expectText(t, dora.follow(r), "main", "You joined DEMO as viewer")
	expectText(t, admin.get("/projects/DEMO/activity"), "main", "Ana Lima added Dora as viewer")

	// The link works once.
	eve := a.browser()
	gone := eve.get(path)
	expectStatus(t, gone, http.StatusNotFound)
	expectText(t, gone, ".error-message", "This invitation was already used or has expired")
	expectStatus(t, eve.get("/signin"), http.StatusOK)
	r = eve.post(path, url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"eve-password"}})
	expectStatus(t, r, http.StatusNotFound)
	expectText(t, r, ".error-message", "already used or has expired")
	if _, err := a.st.UserByEmail(a.ctx, "eve@example.com"); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("a used invitation created an account: %v", err)
	}

	// A signed-in user joins with one button.
	outsider, err := a.st.RegisterUser(a.ctx, store.NewUser{Email: "finn@example.com", Name: "Finn", Password: "finn-password"})
	if err != nil {
		t.Fatal(err)
	}
	path = invite("member", "1")
	finn := a.browser()
	finn.signIn(outsider.Email, "finn-password")
	page = finn.get(path)
	expectStatus(t, page, http.StatusOK)
	r = finn.submit(page, `form[action="`+path+`"]`, nil)
	expectRedirect(t, r, "/projects/DEMO")
	if _, role, err := a.st.ProjectFor(a.ctx, outsider.ID, "DEMO"); err != nil || role != store.RoleMember {
		t.Fatalf("Finn's role in DEMO = %q, %v", role, err)
	}

	// Revoked and expired links are refused alike.
	revoked := invite("member", "7")
	page = admin.get("/projects/DEMO/members")
	r = admin.submit(page, `[data-testid="invitation"] form`, nil)
	expectRedirect(t, r, "/projects/DEMO/members")
	expectStatus(t, a.browser().get(revoked), http.StatusNotFound)
	expired := invite("member", "1")
	clock.Advance(24*time.Hour + time.Minute)
	expectStatus(t, a.browser().get(expired), http.StatusNotFound)
	expectText(t, admin.get("/projects/DEMO/members"), `[data-testid="invitations"]`, "No pending invitations")

	// Invitations are for admins: Ben (member) sees none and cannot create one.
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page = ben.get("/projects/DEMO/members")
	if page.Doc.Find(`[data-testid="invitations"]`).Length() != 0 {
		t.Error("a member sees the invitations section")
	}
	r = ben.post("/projects/DEMO/invitations", url.Values{"role": {"admin"}, "expires": {"7"}})
	expectStatus(t, r, http.StatusForbidden)

	// Bad input gets a message beside the field.
	page = admin.get("/projects/DEMO/members")
	r = admin.submit(page, `form[action="/projects/DEMO/invitations"]`, map[string]string{"expires": "365"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, `[data-testid="invitations"]`, "valid for 1 hour to 30 days")
}
