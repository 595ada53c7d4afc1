package handlers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// e2eDensity: on Ben's demo board at 1280×900 at least ten cards of To Do are fully in
// view, the shortcuts line waits behind "?", and the card panel keeps its Save button
// and a named close button in view at 1280×800. With TACK_SCREENSHOT_DIR set it saves
// the board (a column over its WIP limit), the panel, the task page and the activity page
// in light and dark; axe checks the board with the column over its limit.
func e2eDensity(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)

	visible := e2eEval[struct {
		Full   int     `json:"full"`
		Total  int     `json:"total"`
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
	}](ben, `(() => {
		const cards = Array.from(document.querySelectorAll("#col-c1 ul.cards > li.card"));
		const full = cards.filter(c => {
			const r = c.getBoundingClientRect();
			return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
		});
		const last = full.length ? full[full.length - 1].getBoundingClientRect().bottom : 0;
		return {full: full.length, total: cards.length, top: cards.length ? cards[0].getBoundingClientRect().top : 0, bottom: last};
	})()`)
	t.Logf("density: %d of the %d cards of To Do fully visible at 1280×900 (the first starts at y=%.0f, the last fully visible ends at y=%.0f)",
		visible.Full, visible.Total, visible.Top, visible.Bottom)
	if visible.Full < 10 {
		t.Errorf("only %d cards of To Do are fully visible at 1280×900, want at least 10", visible.Full)
	}
	// Ana puts a third card into In Review, over its WIP limit of 2: Ben's board says
	// so live, readable in both themes.
	done := ben.cardAt("c4", 0)
	ana, err := s.st.UserByEmail(context.Background(), e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.MoveTask(context.Background(), ana.ID, store.TaskMove{TaskID: done.ID, BaseVersion: s.task(done.ID).Version, ColumnID: "c3"}); err != nil {
		t.Fatalf("Ana moves %s: %v", done.Key, err)
	}
	ben.waitUntil("In Review over its WIP limit", e2eWait, `document.querySelector("#colh-c3.over .wip.over")`)
	ben.screenshotThemes("board", "")
	ben.axe(e2eAxeJS(t), "board with a column over its WIP limit")

	// The Move button waits for the pointer or the keyboard: hidden at rest, shown when
	// focus is in its card, always in the tab order.
	first := ben.cardAt("c1", 0)
	opacity := `getComputedStyle(document.querySelector("#task-` + first.ID + ` .move-button")).opacity`
	if got := e2eEval[string](ben, opacity); got != "0" {
		t.Errorf("a card's Move button shows at rest (opacity %s)", got)
	}
	ben.do("focus a card", chromedp.Focus(chromedp.CSS("#task-"+first.ID+" a.card-link")))
	ben.key("Tab", "\t")
	ben.waitUntil("Tab from the card's link reaches its Move button, shown", e2eWait,
		`document.activeElement.matches("#task-`+first.ID+` .move-button") && `+opacity+` === "1"`)
	ben.screenshot("board-move-focused", "#col-c1")

	// The shortcuts are one key away, not always on screen.
	if e2eEval[bool](ben, `(() => { const s = document.getElementById("board-shortcuts");
		return !!s && s.getClientRects().length > 0 && s.getBoundingClientRect().height > 0 && s.checkVisibility(); })()`) {
		t.Errorf("the shortcuts line is shown before anyone asked for it")
	}
	ben.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	ben.key("?", "?")
	ben.waitUntil("shortcuts shown after ?", e2eWait, `(() => { const s = document.getElementById("board-shortcuts");
		return !!s && s.checkVisibility(); })()`)
	ben.screenshot("shortcuts", "")
	ben.key("Escape", "\u001b")

	// The card panel at 1280×800: Save and a named close button in view, no second heading.
	ben.call("viewport 1280×800", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	x := ben.cardAt("c1", 1)
	link := fmt.Sprintf("#task-%s a.card-link", x.ID)
	ben.waitUntil("board script ready", e2eWait, `window.tackBoard && document.querySelector("`+link+`")`)
	ben.do("open the card", chromedp.Click(chromedp.CSS(link)))
	ben.waitUntil("panel open", e2eWait, `document.getElementById("task-panel").open && document.activeElement && document.activeElement.name === "title"`)
	panel := e2eEval[struct {
		SaveInView bool   `json:"saveInView"`
		CloseName  string `json:"closeName"`
		Headings   string `json:"headings"`
	}](ben, `(() => {
		const save = document.querySelector('#task-panel .panel-foot button[type="submit"]');
		const r = save ? save.getBoundingClientRect() : null;
		const close = document.querySelector("#task-panel .panel-close");
		return {
			saveInView: !!r && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth,
			closeName: close ? close.textContent.replace(/\s+/g, " ").trim() + (close.getAttribute("aria-label") || "") : "",
			headings: Array.from(document.querySelectorAll("#task-panel h2, #task-panel h3")).map(h => h.textContent.trim()).join(" | "),
		};
	})()`)
	if !panel.SaveInView {
		t.Errorf("the panel's Save button is not in view at 1280×800")
	}
	if want := "Close " + x.Key; panel.CloseName != want && panel.CloseName != "× "+want && panel.CloseName != "×"+want {
		t.Errorf("the panel's close button is named %q, want %q", panel.CloseName, want)
	}
	if e2eEval[bool](ben, `Array.from(document.querySelectorAll("#task-panel h2, #task-panel h3")).some(h => h.textContent.trim() === "Details")`) {
		t.Errorf("the panel repeats a Details heading: %s", panel.Headings)
	}
	ben.screenshotThemes("panel", "")
	ben.key("Escape", "\u001b")
	ben.waitUntil("panel closed", e2eWait, `!document.getElementById("task-panel").open`)
	ben.call("viewport 1280×900", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
	})

	// 320 px wide: everything stacks; nothing makes the page scroll sideways.
	ben.call("viewport 320×800", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(320, 800))
	})
	if w := e2eEval[int](ben, `document.documentElement.scrollWidth`); w > 320 {
		t.Errorf("at 320 px wide the board is %d px wide", w)
	}
	ben.screenshot("board-320", "")
	ben.call("viewport 1280×900", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
	})

	ben.do("open the task page", chromedp.Navigate(s.url+"/projects/DEMO/tasks/"+x.Key))
	ben.screenshotThemes("task-page", "")
	ben.do("open the activity page", chromedp.Navigate(s.url+"/projects/DEMO/activity"))
	ben.screenshotThemes("activity", "")

	// The navigation is restyled on every page: axe the pages no other test checks.
	axeJS := e2eAxeJS(t)
	for _, page := range []struct{ name, path string }{
		{"projects page", "/projects"},
		{"API tokens page", "/settings/tokens"},
	} {
		ben.do("open the "+page.name, chromedp.Navigate(s.url+page.path))
		ben.waitUntil(page.name+" loaded", e2eWait, `document.readyState === "complete"`)
		ben.axe(axeJS, page.name)
	}
	ben.screenshot("tokens", "")
}

// theme emulates prefers-color-scheme: "dark" or "light".
func (u *e2eUser) theme(scheme string) {
	u.t.Helper()
	u.call("prefer "+scheme, func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// screenshotThemes saves a screenshot in the light theme and one in the dark.
func (u *e2eUser) screenshotThemes(name, sel string) {
	u.t.Helper()
	u.screenshot(name, sel)
	u.theme("dark")
	u.screenshot(name+"-dark", sel)
	u.theme("light")
}
