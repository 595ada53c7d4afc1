package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tack/store"
)

func TestCreateProjectFromForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	page := b.get("/projects")
	expectStatus(t, page, http.StatusOK)
	form := `form[action="/projects"]`

	// The name comes first; the key may be left blank, and the page's script fills it.
	var order []string
	page.Doc.Find(form + " input:not([type=hidden])").Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("name", "")) })
	if len(order) < 2 || order[0] != "name" || order[1] != "key" {
		t.Errorf("new-project fields = %v, want name then key first", order)
	}
	if _, required := page.Doc.Find(form + ` input[name="key"]`).Attr("required"); required {
		t.Error("the key field is required; a blank key is suggested from the name")
	}
	if page.Doc.Find(`script[src="/static/js/project-key.js"]`).Length() != 1 {
		t.Error("the projects page does not load the key suggestion script")
	}

	create := func(set map[string]string) *response {
		t.Helper()
		return b.submit(b.get("/projects"), form, set)
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantKey string // "" when refused
		field   string // the field whose message shows, when refused
		message string
	}{
		{"blank key, from the name", map[string]string{"name": "Mobile App"}, "MA", "", ""},
		{"blank key, taken: a digit added", map[string]string{"name": "Marketing Analytics"}, "MA2", "", ""},
		{"the script's suggestion, taken: a digit added", map[string]string{"name": "Mobile App", "key": "MA", "key_suggested": "MA"}, "MA3", "", ""},
		{"one-word name", map[string]string{"name": "Operations"}, "OPE", "", ""},
		{"typed key, lower case", map[string]string{"name": "Website", "key": "web"}, "WEB", "", ""},
		{"typed key, taken", map[string]string{"name": "Mobile", "key": "MA"}, "", "key", "Project key MA is already taken."},
		{"typed key, suggestion edited and taken", map[string]string{"name": "Mobile", "key": "MA", "key_suggested": "MOB"}, "", "key", "Project key MA is already taken."},
		{"typed key, invalid", map[string]string{"name": "Mobile", "key": "1M"}, "", "key", "Key must be 2 to 10 letters or digits"},
		{"typed key, too long", map[string]string{"name": "Mobile", "key": "ABCDEFGHIJK"}, "", "key", "Key must be 2 to 10 letters or digits"},
		{"blank key, no letters in the name", map[string]string{"name": "日本語"}, "", "key", "Type a key"},
		{"blank name", map[string]string{"name": " ", "key": "NEW"}, "", "name", "Enter a project name."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.eventCount()
			r := create(tt.set)
			if tt.wantKey == "" {
				expectStatus(t, r, http.StatusUnprocessableEntity)
				expectText(t, r, "#err-"+tt.field, tt.message)
				if got := r.Doc.Find(form+` input[name="`+tt.field+`"]`).AttrOr("aria-invalid", ""); got != "true" {
					t.Errorf("the %s field is not marked invalid", tt.field)
				}
				for _, f := range []string{"name", "key", "key_suggested"} {
					if got := r.Doc.Find(form+` input[name="`+f+`"]`).AttrOr("value", ""); got != tt.set[f] {
						t.Errorf("after the error %s = %q, want what was typed, %q", f, got, tt.set[f])
					}
				}
				if after := a.eventCount(); after != before {
					t.Errorf("a refused project changed the log: %d events, was %d", after, before)
				}
				return
			}
			// A new project opens on its board.
			expectRedirect(t, r, "/projects/"+tt.wantKey+"/board")
			board := b.follow(r)
			expectStatus(t, board, http.StatusOK)
			expectText(t, board, ".flash", "Project "+tt.wantKey+" created.")
			if board.Doc.Find("#board section.board-column").Length() != 4 {
				t.Errorf("the new project's board has %d columns, want 4", board.Doc.Find("#board section.board-column").Length())
			}
			p, role, err := a.st.ProjectFor(a.ctx, a.ben.ID, tt.wantKey)
			if err != nil || role != store.RoleAdmin || p.Name != strings.TrimSpace(tt.set["name"]) {
				t.Errorf("project %s = %+v, %s, %v; want %q with Ben as admin", tt.wantKey, p, role, err, tt.set["name"])
			}
		})
	}
}
