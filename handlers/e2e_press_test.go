package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// e2ePressHoldsLiveSwaps: Ben presses the mouse on a card; before he has moved it past
// the drag's few pixels of tolerance, Ana retitles that card. The live update is held
// from the press (not from the drag's start): the card under his pointer is not redrawn,
// his drag goes on to another column, and the held update is shown after the drop.
func e2ePressHoldsLiveSwaps(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)
	ben.waitUntil("the board settled", e2eWait, `!window.tackBoard.isBusy()`)
	x := ben.cardAt("c1", 1)
	path := ben.dragPath(x.ID, "c2")
	ben.exec(fmt.Sprintf(`document.querySelector('li.card#task-%s').dataset.pressed = "1";
		window.e2eUpdates = 0;
		document.getElementById("live").addEventListener("htmx:sseBeforeMessage", () => window.e2eUpdates++);`, x.ID))

	mouse := func(typ input.DispatchMouseEventType, px, py float64, buttons int64) {
		t.Helper()
		ben.call(fmt.Sprintf("mouse %s at %.0f,%.0f", typ, px, py), func(ctx context.Context) error {
			p := input.DispatchMouseEventParams{Type: typ, X: px, Y: py, Button: input.MouseButtonLeft, Buttons: buttons}
			if typ != input.DispatchMouseEventTypeMouseMoved {
				p.ClickCount = 1
			}
			_, err := chromedp.Call(ctx, input.DispatchMouseEvent, p)
			return err
		})
	}
	mouse(input.DispatchMouseEventTypeMouseMoved, path.x0, path.y0, 0)
	mouse(input.DispatchMouseEventTypeMousePressed, path.x0, path.y0, 1)

	ana, err := s.st.UserByEmail(context.Background(), e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	tk := s.task(x.ID)
	if _, err := s.st.UpdateTask(context.Background(), ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: tk.Version, Title: store.Some("Retitled during a press")}); err != nil {
		t.Fatalf("Ana retitles %s: %v", x.Key, err)
	}
	ben.waitUntil("Ana's update reached Ben", e2eWait, `window.e2eUpdates > 0`)
	time.Sleep(100 * time.Millisecond) // room for a swap, were it not held
	if !e2eEval[bool](ben, fmt.Sprintf(`!!document.querySelector('li.card#task-%s[data-pressed]')`, x.ID)) {
		t.Errorf("the card under the pressed pointer was redrawn by a live update")
	}

	const steps = 12
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		mouse(input.DispatchMouseEventTypeMouseMoved, path.x0+(path.x1-path.x0)*f, path.y0+(path.y1-path.y0)*f, 1)
		time.Sleep(16 * time.Millisecond)
	}
	for range 3 {
		mouse(input.DispatchMouseEventTypeMouseMoved, path.x1, path.y1+1, 1)
		time.Sleep(60 * time.Millisecond)
	}
	mouse(input.DispatchMouseEventTypeMouseReleased, path.x1, path.y1+1, 0)

	ben.waitUntil("the card dropped in In Progress, with Ana's title", e2eWait, inColumn(x.ID, "c2")+
		fmt.Sprintf(` && document.querySelector('li.card#task-%s .card-title').textContent === "Retitled during a press" && !window.tackBoard.isBusy()`, x.ID))
	if got := s.task(x.ID); got.ColumnID != "c2" || got.Title != "Retitled during a press" {
		t.Errorf("stored: %s in %s titled %q, want In Progress with Ana's title", x.Key, got.ColumnID, got.Title)
	}
}
