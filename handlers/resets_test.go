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

func TestPasswordResetLinks(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a := newAppWith(t, appOptions{cfg: handlers.Config{ClosedSignUp: true}, now: clock.Now})
	admin := a.browser()
	admin.signIn(anaEmail, anaPass)
	benBefore := a.browser() // Ben's session from before the reset
	benBefore.signIn(benEmail, benPass)
	resetAction := "/projects/DEMO/members/" + a.ben.ID + "/password-reset"

	// issue creates Ben's reset link on the members page and returns its path.
	issue := func() string {
		t.Helper()
		page := admin.get("/projects/DEMO/members")
		expectStatus(t, page, http.StatusOK)
		if n := page.Doc.Find(`[data-testid="reset-password"]`).Length(); n != 2 {
			t.Errorf("the admin sees %d Reset password buttons, want 2 (Ben and Chloé, not herself)", n)
		}
		r := admin.submit(page, `form[action="`+resetAction+`"]`, nil)
		expectStatus(t, r, http.StatusCreated)
		link := r.Doc.Find(`[data-testid="reset-url"]`).AttrOr("value", "")
		u, err := url.Parse(link)
		if err != nil || !strings.HasPrefix(u.Path, "/reset/rst_") || u.Host == "" {
			t.Fatalf("reset link %q", link)
		}
		expectText(t, r, `[data-testid="created-reset"]`, "Password reset link for Ben Okafor", "Copy this link now")
		return u.Path
	}

	// The link is replaced by a newer one, then works once, for a visitor.
	replaced := issue()
	path := issue()
	expectStatus(t, a.browser().get(replaced), http.StatusNotFound)
	visitor := a.browser()
	form := visitor.get(path)
	expectStatus(t, form, http.StatusOK)
	expectText(t, form, "h1", "Choose a new password")
	expectText(t, form, `[data-testid="reset-password"]`, "For Ben Okafor", "Ana Lima issued this link")

	// A refused password keeps the form and the link.
	r := visitor.submit(form, `form[action="`+path+`"]`, map[string]string{"password": "short"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, `[data-testid="reset-password"]`, "at least 8 characters")
	if r.Doc.Find(`form[action="`+path+`"] input[name="password"]`).Length() != 1 {
		t.Error("the refused form is not shown again")
	}

	r = visitor.submit(r, `form[action="`+path+`"]`, map[string]string{"password": "ben-new-password"})
	expectRedirect(t, r, "/projects")
	expectText(t, visitor.follow(r), ".flash", "Your new password is set, Ben Okafor")
	expectText(t, visitor.get("/projects/DEMO/members"), "h1", "Members of DEMO") // signed in as Ben
	if _, err := a.st.Authenticate(a.ctx, benEmail, "ben-new-password"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
	if _, err := a.st.Authenticate(a.ctx, benEmail, benPass); err == nil {
		t.Error("the old password still signs in")
	}
	expectRedirect(t, benBefore.get("/projects"), "/signin?next=%2Fprojects")
	expectStatus(t, admin.get("/projects"), http.StatusOK) // Ana's session is not Ben's

	// The link works once.
	again := a.browser()
	gone := again.get(path)
	expectStatus(t, gone, http.StatusNotFound)
	expectText(t, gone, ".error-message", "This reset link was already used or has expired")
	expectStatus(t, again.get("/signin"), http.StatusOK) // for a CSRF token
	r = again.post(path, url.Values{"password": {"attacker-password"}})
	expectStatus(t, r, http.StatusNotFound)
	if _, err := a.st.Authenticate(a.ctx, benEmail, "attacker-password"); err == nil {
		t.Error("a used link set the password")
	}

	// An expired link is refused alike.
	expired := issue()
	clock.Advance(store.PasswordResetTTL + time.Minute)
	expectStatus(t, a.browser().get(expired), http.StatusNotFound)
	expectStatus(t, a.browser().get("/reset/rst_unknown"), http.StatusNotFound)

	// Members are refused with 403; an admin of another project, or someone outside
	// DEMO, gets 404.
	ben := a.browser()
	ben.signIn(benEmail, "ben-new-password")
	page := ben.get("/projects/DEMO/members")
	if page.Doc.Find(`[data-testid="reset-password"]`).Length() != 0 {
		t.Error("a member sees Reset password buttons")
	}
	r = ben.post("/projects/DEMO/members/"+a.ana.ID+"/password-reset", url.Values{})
	expectStatus(t, r, http.StatusForbidden)

	if _, err := a.st.CreateProject(a.ctx, a.ana.ID, store.NewProject{Key: "SIDE", Name: "Side"}); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, admin.get("/projects/SIDE/members"), http.StatusOK)
	r = admin.post("/projects/SIDE/members/"+a.ben.ID+"/password-reset", url.Values{})
	expectStatus(t, r, http.StatusNotFound)
	r = ben.post("/projects/SIDE/members/"+a.ana.ID+"/password-reset", url.Values{})
	expectStatus(t, r, http.StatusNotFound)
}
