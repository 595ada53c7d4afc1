package handlers_test

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/handlers"
)

// colorScheme makes the tab's pages see prefers-color-scheme: scheme ("light", "dark").
func (u *e2eUser) colorScheme(scheme string) {
	u.t.Helper()
	u.call("prefers-color-scheme: "+scheme, func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// axeLightAndDark runs axe on the page in the light theme, then in the dark one
// (checking that the page's background changed, so the dark theme is in use). With
// TACK_SCREENSHOT_DIR set it saves both as shot-light.png and shot-dark.png.
func (u *e2eUser) axeLightAndDark(axeJS []byte, page, shot string) {
	u.t.Helper()
	const background = `getComputedStyle(document.documentElement).backgroundColor`
	u.colorScheme("light")
	light := e2eEval[string](u, background)
	u.axe(axeJS, page+" (light)")
	u.screenshot(shot+"-light", "")
	u.colorScheme("dark")
	u.waitUntil("dark theme in use", e2eWait, `matchMedia("(prefers-color-scheme: dark)").matches && `+background+` !== "`+light+`"`)
	u.axe(axeJS, page+" (dark)")
	u.screenshot(shot+"-dark", "")
	u.colorScheme("light")
}

// e2eLanding: a signed-out visitor at / sees what Tack is and can sign in right there;
// axe finds no violation in either theme.
func e2eLanding(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	ben.waitUntil("signed out", e2eWait, `location.pathname === "/signin" && document.readyState === "complete"`)
	ben.axe(axeJS, "sign-in page")
	ben.do("open the sign-up page", chromedp.Navigate(s.url+"/signup"))
	ben.waitUntil("sign-up page", e2eWait, `document.querySelector('form[action="/signup"]') !== null`)
	ben.axe(axeJS, "sign-up page")

	ben.do("open /", chromedp.Navigate(s.url+"/"))
	ben.waitUntil("landing page", e2eWait, `document.querySelector('[data-testid="landing"] h1') !== null`)
	ben.axeLightAndDark(axeJS, "landing page", "landing")

	ben.do("sign in from the landing page",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="landing"] #email`), e2eBen.Email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="landing"] #password`), e2eBen.Password),
		chromedp.Click(chromedp.CSS(`[data-testid="landing"] form[action="/signin"] button[type=submit]`)),
	)
	ben.waitUntil("on the projects page", e2eWait, `location.pathname === "/projects" && document.querySelector('a[href="/projects/DEMO"]') !== null`)

	// With sign-up closed, the landing page and /signup say accounts come by invitation.
	closed := e2eNewServerWith(t, seed, handlers.Config{ClosedSignUp: true})
	ben.do("open the closed server's landing page", chromedp.Navigate(closed.url+"/"))
	ben.waitUntil("landing page, sign-up by invitation", e2eWait, `document.querySelector('[data-testid="landing"] [data-testid="by-invitation"]') !== null && document.querySelector('a[href="/signup"]') === null`)
	ben.axeLightAndDark(axeJS, "landing page, sign-up closed", "landing-closed")
	ben.do("open the closed sign-up page", chromedp.Navigate(closed.url+"/signup"))
	ben.waitUntil("sign-up is by invitation", e2eWait, `document.querySelector("h1")?.textContent.includes("Sign-up is by invitation") && document.querySelector('form[action="/signup"]') === null`)
	ben.axeLightAndDark(axeJS, "sign-up page, closed", "signup-closed")
}

// e2eNewProject: creating a project through the real form, the key follows the name
// as it is typed until it is edited by hand, and the new project opens on its board.
// A suggested key that is taken gets a digit.
func e2eNewProject(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ana := s.signIn(browser, e2eAna, true)
	open := func() {
		t.Helper()
		ana.do("open the projects page", chromedp.Navigate(s.url+"/projects"))
		ana.waitUntil("new-project form", e2eWait, `document.querySelector('form[action="/projects"] #name') !== null`)
	}
	keyIs := func(want string) {
		t.Helper()
		ana.waitUntil("key "+want+" suggested", e2eWait, `document.getElementById("key").value === "`+want+`"`)
	}
	create := func(board string) {
		t.Helper()
		ana.do("create the project", chromedp.Click(chromedp.CSS(`form[action="/projects"] button[type=submit]`)))
		ana.waitUntil("on the board of "+board, e2eWait, `location.pathname === "/projects/`+board+`/board" && document.querySelectorAll("#board section.board-column").length === 4`)
		if got := e2eEval[string](ana, `document.querySelector(".flash, #board-notice").textContent`); got != "Project "+board+" created." {
			t.Errorf("board of %s says %q", board, got)
		}
	}

	open()
	ana.axeLightAndDark(axeJS, "projects page", "projects")
	ana.do("type a one-word name", chromedp.SendKeys(chromedp.CSS("#name"), "Mobile"))
	keyIs("MOB")
	ana.do("type the second word", chromedp.SendKeys(chromedp.CSS("#name"), " App"))
	keyIs("MA")
	create("MA")

	// The same name again: the suggestion MA is taken, so the project gets MA2.
	open()
	ana.do("type the name", chromedp.SendKeys(chromedp.CSS("#name"), "Mobile App"))
	keyIs("MA")
	create("MA2")

	// A key edited by hand stays as typed while the name changes.
	open()
	ana.do("type the name", chromedp.SendKeys(chromedp.CSS("#name"), "Field Ops"))
	keyIs("FO")
	ana.exec(`document.getElementById("key").select()`)
	ana.do("edit the key", chromedp.SendKeys(chromedp.CSS("#key"), "FIELD"))
	ana.do("type more of the name", chromedp.SendKeys(chromedp.CSS("#name"), " Team"))
	if got := e2eEval[string](ana, `document.getElementById("key").value`); got != "FIELD" {
		t.Fatalf("after editing the key and typing more name, the key is %q, want FIELD", got)
	}
	create("FIELD")
}

// e2eListTable: the List is a table sorted by its headers' links; axe finds no
// violation in either theme, filtered and sorted.
func e2eListTable(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.do("open the List, filtered and sorted", chromedp.Navigate(s.url+"/projects/DEMO?type=story&sort=priority&dir=desc"))
	ben.waitUntil("the table", e2eWait, `document.querySelector('table.task-table th.col-priority[aria-sort="descending"]') !== null`)
	ben.axeLightAndDark(axeJS, "List table", "list")

	ben.do("sort by title", chromedp.Click(chromedp.CSS(`table.task-table th.col-title a`)))
	ben.waitUntil("sorted by title, still filtered", e2eWait, `document.querySelector('table.task-table th.col-title[aria-sort="ascending"]') !== null &&
		new URLSearchParams(location.search).get("type") === "story"`)
	titles := e2eEval[[]string](ben, `Array.from(document.querySelectorAll("table.task-table td.col-title")).map(td => td.textContent.trim().toLowerCase())`)
	for i := 1; i < len(titles); i++ {
		if titles[i-1] > titles[i] {
			t.Errorf("titles out of order: %q before %q", titles[i-1], titles[i])
		}
	}
	if len(titles) < 2 {
		t.Errorf("%d stories listed, want several", len(titles))
	}
}
