package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// syncTokenStatus returns the status of GET /api/v1/projects with the token.
func syncTokenStatus(a *app, secret string) int {
	a.t.Helper()
	return (&syncClient{t: a.t, base: a.srv.URL, token: secret}).do(http.MethodGet, "/api/v1/projects", nil, nil).Status
}

func TestSettingsTokens(t *testing.T) {
	a := newApp(t)

	// The page is for signed-in people only.
	anon := a.browser()
	expectRedirect(t, anon.get("/settings/tokens"), "/signin?next=%2Fsettings%2Ftokens")

	b := a.browser()
	b.signIn(anaEmail, anaPass)
	projects := b.get("/projects")
	if projects.Doc.Find(`header a[href="/settings/tokens"]`).Length() != 1 {
		t.Fatal("the header has no link to the API tokens page")
	}
	page := b.get("/settings/tokens")
	expectStatus(t, page, http.StatusOK)
	expectText(t, page, "main", "no tokens yet")

	// Creating shows the secret, once, in the answer to the form.
	created := b.submit(page, `form[action="/settings/tokens"]`, map[string]string{"name": "Release script"})
	expectStatus(t, created, http.StatusOK)
	secret := created.Doc.Find(`[data-testid="token-secret"]`).AttrOr("value", "")
	if !strings.HasPrefix(secret, "tack_") || !strings.Contains(created.Body, secret) {
		t.Fatalf("no token secret on the page after creating: %q", secret)
	}
	expectText(t, created, `[data-testid="created-token"]`, "Release script", "Copy this token now", "only this once")
	if cc := created.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret has Cache-Control %q, want no-store", cc)
	}

	// Listed afterwards, without the secret.
	list := b.get("/settings/tokens")
	if strings.Contains(list.Body, secret) || list.Doc.Find(`[data-testid="token-secret"]`).Length() != 0 {
		t.Fatal("the secret is shown again after the create answer")
	}
	rows := list.Doc.Find(`[data-testid="token"]`)
	if rows.Length() != 1 {
		t.Fatalf("%d tokens listed, want 1", rows.Length())
	}
	row := strings.Join(strings.Fields(rows.Text()), " ")
	if !strings.Contains(row, "Release script") || !strings.Contains(row, "Never") || !strings.Contains(row, "Active") {
		t.Errorf("token row %q: want its name, never used, active", row)
	}
	id := rows.AttrOr("data-token-id", "")

	// The token works against the API, and the list says it was used.
	if s := syncTokenStatus(a, secret); s != http.StatusOK {
		t.Fatalf("GET /api/v1/projects with the new token: status %d", s)
	}
	list = b.get("/settings/tokens")
	if row := list.Text(`[data-testid="token"]`); strings.Contains(row, "Never") {
		t.Errorf("token row %q still says never used", row)
	}

	// Another person cannot revoke it: for them it does not exist.
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	ben.get("/settings/tokens")
	expectStatus(t, ben.post("/settings/tokens/"+id+"/revoke", nil), http.StatusNotFound)
	// Forms need their CSRF token.
	expectStatus(t, b.post("/settings/tokens/"+id+"/revoke", url.Values{"_csrf": {"forged"}}), http.StatusForbidden)
	expectStatus(t, b.post("/settings/tokens", url.Values{"_csrf": {""}, "name": {"forged"}}), http.StatusForbidden)
	if s := syncTokenStatus(a, secret); s != http.StatusOK {
		t.Fatalf("after refused revocations the token answers %d", s)
	}
	if tokens, err := a.st.Tokens(a.ctx, a.ana.ID); err != nil || len(tokens) != 1 {
		t.Fatalf("ana has %d tokens (%v), want 1: a form without CSRF token created one", len(tokens), err)
	}

	// Revoking: back to the list, marked revoked, and the API refuses it.
	b.get("/settings/tokens")
	r := b.post("/settings/tokens/"+id+"/revoke", nil)
	expectRedirect(t, r, "/settings/tokens")
	list = b.follow(r)
	expectText(t, list, `[data-testid="token"]`, "Revoked")
	expectText(t, list, ".flash", "revoked")
	if list.Doc.Find(`form[action="/settings/tokens/`+id+`/revoke"]`).Length() != 0 {
		t.Error("a revoked token still offers to be revoked")
	}
	if s := syncTokenStatus(a, secret); s != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", s)
	}

	// A name that is too long is shown beside the field; nothing is created.
	r = b.submit(list, `form[action="/settings/tokens"]`, map[string]string{"name": strings.Repeat("n", 81)})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, ".field-error", "too long")
	if strings.Contains(r.Body, `data-testid="token-secret"`) {
		t.Error("a refused token shows a secret")
	}
	if tokens, _ := a.st.Tokens(a.ctx, a.ana.ID); len(tokens) != 1 {
		t.Errorf("ana has %d tokens after a refused create, want 1", len(tokens))
	}
}
