package handlers_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestE2EInvitationPagesAxe: axe-core finds no WCAG 2.2 AA violation on the members page
// with a pending invitation and a link just created, nor on the invitation's page as a
// visitor sees it.
func TestE2EInvitationPagesAxe(t *testing.T) {
	browser := e2eStartBrowser(t)
	axeJS, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is missing (run make vendor or npm ci): %v", err)
	}
	s := e2eNewServer(t, e2eSeed(t))
	ana := s.signIn(browser, e2eAna, true)
	ana.do("open the members page", chromedp.Navigate(s.url+"/projects/DEMO/members"))
	ana.do("create an invitation", chromedp.Click(chromedp.CSS(`form[action="/projects/DEMO/invitations"] button[type=submit]`)))
	ana.waitUntil("link shown", e2eWait, `document.querySelector('[data-testid="invitation-url"]') !== null`)
	ana.axe(axeJS, "members page with an invitation link")
	link := e2eEval[string](ana, `document.querySelector('[data-testid="invitation-url"]').value`)

	ana.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	ana.waitUntil("signed out", e2eWait, `location.pathname === "/signin"`)
	ana.do("open the invitation", chromedp.Navigate(link))
	ana.waitUntil("invitation page", e2eWait, `document.querySelector('[data-testid="invite"] input[name="email"]') !== null`)
	ana.axe(axeJS, "invitation page")
}
