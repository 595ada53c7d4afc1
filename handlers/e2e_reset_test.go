package handlers_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// e2ePasswordReset: Ana (admin) issues a reset link for Ben on the members page; in a
// browser context of its own, nobody signed in, the link sets Ben's new password and
// signs in as Ben; opened again, the link is refused. axe finds no violations on the
// members page with the link shown nor on the reset page.
func e2ePasswordReset(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	ana.do("open the members page", chromedp.Navigate(s.url+"/projects/DEMO/members"))
	ben, err := s.st.UserByEmail(context.Background(), e2eBen.Email)
	if err != nil {
		t.Fatal(err)
	}
	ana.do("reset Ben's password", chromedp.Click(chromedp.CSS(`form[action="/projects/DEMO/members/`+ben.ID+`/password-reset"] button`)))
	ana.waitUntil("link shown", e2eWait, `document.querySelector('[data-testid="reset-url"]') !== null`)
	ana.axe(axeJS, "members page with a password reset link")
	link := e2eEval[string](ana, `document.querySelector('[data-testid="reset-url"]').value`)

	visitor := s.visitor(browser, "visitor")
	visitor.do("open the reset link", chromedp.Navigate(link))
	visitor.waitUntil("reset page", e2eWait, `document.querySelector('[data-testid="reset-password"] input[name="password"]') !== null`)
	visitor.axe(axeJS, "password reset page")
	visitor.do("set a new password",
		chromedp.SendKeys(chromedp.CSS(`#password`), "ben-chose-this"),
		chromedp.Click(chromedp.CSS(`[data-testid="reset-password"] button[type=submit]`)),
	)
	visitor.waitUntil("signed in as Ben", e2eWait, `location.pathname === "/projects" &&
		(document.querySelector(".flash")?.textContent ?? "").includes("Your new password is set, Ben Okafor")`)
	if _, err := s.st.Authenticate(context.Background(), e2eBen.Email, "ben-chose-this"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}

	visitor.do("open the link again", chromedp.Navigate(link))
	visitor.waitUntil("already used", e2eWait, `(document.querySelector(".error-message")?.textContent ?? "").includes("This reset link was already used or has expired")`)
}

// visitor opens a tab in a browser context of its own (own cookies), signed in as nobody.
func (s *e2eServer) visitor(browser context.Context, who string) *e2eUser {
	s.t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	u := &e2eUser{t: s.t, srv: s, who: who, ctx: tab}
	if err := chromedp.Do(tab); err != nil { // opens the tab; no timeout here
		s.t.Fatalf("%s: open tab: %v", who, err)
	}
	u.call("viewport", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
	})
	return u
}
