package views

import (
	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// MoveURL returns the path of a card's move page, keeping the board's filter (an encoded
// query, or "") so that the move leads back to the same board.
func MoveURL(p *store.Project, t *store.Task, filter string) string {
	return ProjectURL(p, "/board/move/"+t.Key) + queryString(filter)
}

// queryString is an encoded query with its "?", or "" when empty.
func queryString(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// moveFormAttrs makes the Move menu's form post with htmx on the board.
func moveFormAttrs(p Page, htmx bool) templ.Attributes {
	if !htmx {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-post": ProjectURL(p.Project, "/board/move"), "hx-swap": "none"}
}
