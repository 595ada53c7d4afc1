package handlers_test

import (
	"net/http"
	"testing"

	"github.com/tack-pm/tack/handlers"
)

func TestLandingPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		closed bool
	}{{"sign-up open", false}, {"sign-up closed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAppWith(t, appOptions{cfg: handlers.Config{ClosedSignUp: tc.closed}})
			b := a.browser()
			page := b.get("/")
			expectStatus(t, page, http.StatusOK)
			expectText(t, page, "h1", "live board")
			expectText(t, page, `[data-testid="landing"]`, "Tack is a project tool", "No one's change is lost")
			form := `[data-testid="landing"] form[action="/signin"]`
			for _, sel := range []string{form + ` input[name="email"]`, form + ` input[name="password"]`, form + ` input[name="_csrf"]`} {
				if page.Doc.Find(sel).Length() != 1 {
					t.Errorf("landing page has no %s", sel)
				}
			}
			if page.Doc.Find("[autofocus]").Length() != 0 {
				t.Error("the landing page moves the focus past what Tack is")
			}
			signUpLinks := page.Doc.Find(`a[href="/signup"]`).Length()
			invitation := page.Doc.Find(`[data-testid="by-invitation"]`)
			if tc.closed {
				if signUpLinks != 0 {
					t.Errorf("with sign-up closed the landing page has %d links to /signup", signUpLinks)
				}
				expectText(t, page, `[data-testid="by-invitation"]`, "by invitation")
			} else {
				if signUpLinks != 1 {
					t.Errorf("with sign-up open the landing page has %d links to /signup, want 1", signUpLinks)
				}
				if invitation.Length() != 0 {
					t.Error("with sign-up open the landing page says accounts are by invitation")
				}
			}

			// Its form signs in, and from then on / leads to the projects.
			r := b.submit(page, form, map[string]string{"email": benEmail, "password": benPass})
			expectRedirect(t, r, "/projects")
			expectRedirect(t, b.get("/"), "/projects")
		})
	}
}
