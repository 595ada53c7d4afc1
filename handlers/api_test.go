package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// The API tests send every request through apiEnv.do, which checks the response against
// the OpenAPI document the server itself serves: the status must be documented for the
// operation and the headers and body must match it (openapi3filter.ValidateResponse).
// When the server accepts a request (2xx, 304), the request must match the document too,
// so the document never refuses what the server accepts. Addresses that are not
// operations of the document must answer 404 (or 405) with a Problem.

// apiEnv is a Tack server on a fresh demo workspace, with API tokens for the demo users
// and for a user who is a member of no project.
type apiEnv struct {
	*app
	doc      *openapi3.T
	router   routers.Router
	stranger *store.User // registered, member of no project

	anaTok, benTok, chloeTok, strangerTok string

	mu   sync.Mutex
	seen map[string]map[int]bool // operationId → statuses answered
}

// newAPIEnv starts the server and loads the OpenAPI document from it.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, appOptions{})
}

// newAPIEnvWith is newAPIEnv on a server built with opt.
func newAPIEnvWith(t *testing.T, opt appOptions) *apiEnv {
	t.Helper()
	e := &apiEnv{app: newAppWith(t, opt), seen: map[string]map[int]bool{}}
	var err error
	e.stranger, err = e.st.RegisterUser(e.ctx, store.NewUser{Email: "dora@example.com", Name: "Dora Outsider", Password: "dora-password"})
	if err != nil {
		t.Fatalf("register stranger: %v", err)
	}
	e.anaTok = e.token(t, e.ana)
	e.benTok = e.token(t, e.ben)
	e.chloeTok = e.token(t, e.chlo)
	e.strangerTok = e.token(t, e.stranger)

	res, err := http.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatalf("GET openapi.json: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET openapi.json: %d %v\n%s", res.StatusCode, err, body)
	}
	loader := openapi3.NewLoader()
	if e.doc, err = loader.LoadFromData(body); err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := e.doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document is invalid: %v", err)
	}
	if e.router, err = gorillamux.NewRouter(e.doc); err != nil {
		t.Fatalf("route OpenAPI document: %v", err)
	}
	// The document's own response is checked like any other.
	e.check(t, apiCall{method: http.MethodGet, path: "/openapi.json"}, nil, &apiResult{status: res.StatusCode, header: res.Header, body: body})
	return e
}

// token creates a personal access token for u.
func (e *apiEnv) token(t *testing.T, u *store.User) string {
	t.Helper()
	secret, _, err := e.st.CreateToken(e.ctx, u.ID, "tests")
	if err != nil {
		t.Fatalf("create token for %s: %v", u.Email, err)
	}
	return secret
}

// apiCall is one API request.
type apiCall struct {
	method string
	path   string // below /api/v1, with the query
	token  string // sent as a Bearer token unless auth is set; "" sends no Authorization
	auth   string // the whole Authorization header
	body   any    // sent as JSON; a string or []byte is sent as it is; nil sends no body
	header map[string]string
	// chunked sends the body without Content-Length.
	chunked bool
}

// apiResult is the answer to an apiCall.
type apiResult struct {
	status int
	header http.Header
	body   []byte
}

// do sends c and checks the answer against the OpenAPI document.
func (e *apiEnv) do(t *testing.T, c apiCall) *apiResult {
	t.Helper()
	var body []byte
	switch b := c.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}
	req, err := http.NewRequest(c.method, e.srv.URL+"/api/v1"+c.path, c.reader(body))
	if err != nil {
		t.Fatal(err)
	}
	c.setHeaders(req, body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	out := &apiResult{status: res.StatusCode, header: res.Header}
	if out.body, err = io.ReadAll(res.Body); err != nil {
		t.Fatalf("%s %s: read body: %v", c.method, c.path, err)
	}
	e.check(t, c, body, out)
	return out
}

// reader returns the request body to send.
func (c apiCall) reader(body []byte) io.Reader {
	if body == nil {
		return nil
	}
	if c.chunked {
		return io.MultiReader(bytes.NewReader(body)) // no Len method: no Content-Length
	}
	return bytes.NewReader(body)
}

// setHeaders sets the request headers of c on req, whose body is body.
func (c apiCall) setHeaders(req *http.Request, body []byte) {
	switch {
	case c.auth != "":
		req.Header.Set("Authorization", c.auth)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
}

// check validates a response (and, when the server accepted it, the request) against
// the OpenAPI document.
func (e *apiEnv) check(t *testing.T, c apiCall, body []byte, res *apiResult) {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequest(c.method, "/api/v1"+c.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c.setHeaders(req, body)
	what := fmt.Sprintf("%s %s → %d %s\n%s", c.method, c.path, res.status, res.header.Get("Content-Type"), apiAbbrev(res.body))
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		// Not an operation of the document: only "no such resource" may answer, and as
		// a problem document.
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			t.Fatalf("find route of %s %s: %v", c.method, c.path, err)
		}
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			t.Errorf("undocumented request answered: %s", what)
		}
		e.checkProblem(t, what, res)
		return
	}
	op := route.Operation.OperationID
	e.mu.Lock()
	if e.seen[op] == nil {
		e.seen[op] = map[int]bool{}
	}
	e.seen[op][res.status] = true
	e.mu.Unlock()

	if route.Operation.Responses.Status(res.status) == nil {
		t.Errorf("%s: status %d is not documented for %s", what, res.status, op)
		return
	}
	reqInput := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	resInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput, Status: res.status, Header: res.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	resInput.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(ctx, resInput); err != nil {
		t.Errorf("response does not match the OpenAPI document (%s): %v\n%s", op, err, what)
	}
	switch {
	case res.status == http.StatusNotModified:
		// ValidateResponse skips 304: check what it would have.
		if len(res.body) != 0 {
			t.Errorf("304 with a body: %s", what)
		}
		if etag := res.header.Get("ETag"); !strings.HasPrefix(strings.TrimPrefix(etag, "W/"), `"`) {
			t.Errorf("304 without ETag: %s", what)
		}
	case res.status >= 400:
		e.checkProblem(t, what, res)
	}
	if res.status < 300 || res.status == http.StatusNotModified {
		if err := openapi3filter.ValidateRequest(ctx, reqInput); err != nil {
			t.Errorf("the server accepted a request the OpenAPI document refuses (%s): %v\n%s", op, err, what)
		}
	}
}

// checkProblem checks an error response: problem+json, a Problem, and its status member
// equal to the response status.
func (e *apiEnv) checkProblem(t *testing.T, what string, res *apiResult) {
	t.Helper()
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("error response is %q, not application/problem+json: %s", ct, what)
		return
	}
	var v any
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Errorf("problem is not JSON: %v: %s", err, what)
		return
	}
	schema := e.doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("not a Problem: %v: %s", err, what)
	}
	if m, _ := v.(map[string]any); m["status"] != float64(res.status) {
		t.Errorf("problem status %v differs from the response's: %s", m["status"], what)
	}
}

// apiAbbrev shortens a body for a failure message.
func apiAbbrev(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// Shorthands: a request by the holder of token.

func (e *apiEnv) get(t *testing.T, token, path string) *apiResult {
	t.Helper()
	return e.do(t, apiCall{method: http.MethodGet, path: path, token: token})
}

func (e *apiEnv) post(t *testing.T, token, path string, body any, header ...string) *apiResult {
	t.Helper()
	return e.do(t, apiCall{method: http.MethodPost, path: path, token: token, body: body, header: apiHeader(header)})
}

func (e *apiEnv) patch(t *testing.T, token, path string, body any, header ...string) *apiResult {
	t.Helper()
	return e.do(t, apiCall{method: http.MethodPatch, path: path, token: token, body: body, header: apiHeader(header)})
}

// apiHeader turns name, value pairs into a header map.
func apiHeader(kv []string) map[string]string {
	if len(kv)%2 != 0 {
		panic("apiHeader: odd number of arguments")
	}
	h := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// expect fails the test unless the response has status want.
func (r *apiResult) expect(t *testing.T, want int) *apiResult {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d\n%s", r.status, want, apiAbbrev(r.body))
	}
	return r
}

// decode decodes the JSON body into v.
func (r *apiResult) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", apiAbbrev(r.body), err)
	}
}

// apiTask is a task as the API shows it, with the outcome members of a write.
type apiTask struct {
	ID         string   `json:"id"`
	Key        string   `json:"key"`
	Title      string   `json:"title"`
	Type       string   `json:"type"`
	Priority   string   `json:"priority"`
	ColumnID   string   `json:"column_id"`
	Rank       string   `json:"rank"`
	AssigneeID *string  `json:"assignee_id"`
	Labels     []string `json:"labels"`
	Points     *float64 `json:"points"`
	Due        *string  `json:"due"`
	Archived   bool     `json:"archived"`
	Version    int      `json:"version"`
	Applied    []string `json:"applied"`
	Merged     []string `json:"merged"`
}

func (r *apiResult) task(t *testing.T) apiTask {
	t.Helper()
	var v apiTask
	r.decode(t, &v)
	return v
}

// apiProblem is a problem document.
type apiProblem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Field     string `json:"field"`
	Conflicts []struct {
		Field     string `json:"field"`
		Yours     any    `json:"yours"`
		Theirs    any    `json:"theirs"`
		ChangedBy string `json:"changed_by"`
		ChangedAt string `json:"changed_at"`
		Seq       int64  `json:"seq"`
	} `json:"conflicts"`
	ConflictSeq int64    `json:"conflict_seq"`
	Current     *apiTask `json:"current"`
}

func (r *apiResult) problem(t *testing.T) apiProblem {
	t.Helper()
	var p apiProblem
	r.decode(t, &p)
	return p
}

// expectProblem fails the test unless the response is a problem with status want whose
// detail mentions every one of words (case-insensitively).
func (r *apiResult) expectProblem(t *testing.T, want int, words ...string) apiProblem {
	t.Helper()
	r.expect(t, want)
	p := r.problem(t)
	for _, w := range words {
		if !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(w)) {
			t.Errorf("problem detail %q does not mention %q", p.Detail, w)
		}
	}
	return p
}

// newTask creates a DEMO task through the store, as Ana.
func (e *apiEnv) newTask(t *testing.T, title string) *store.Task {
	t.Helper()
	tk, err := e.st.CreateTask(e.ctx, e.ana.ID, store.NewTask{ProjectID: e.demo.ID, Title: title})
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return tk
}

// apiTaskPath is the API path of a task of DEMO, plus suffix.
func apiTaskPath(key string, suffix ...string) string {
	return "/projects/DEMO/tasks/" + url.PathEscape(key) + strings.Join(suffix, "")
}

// apiETag is a version as an entity tag.
func apiETag(version int) string { return fmt.Sprintf(`"%d"`, version) }

// TestAPIOpenAPIDocument checks the served document: no token needed, JSON, a valid
// OpenAPI 3.1 document with the conventions every operation follows.
func TestAPIOpenAPIDocument(t *testing.T) {
	e := newAPIEnv(t) // fetches, loads and validates the document

	res := e.do(t, apiCall{method: http.MethodGet, path: "/openapi.json"}).expect(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if e.doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", e.doc.OpenAPI)
	}
	if len(e.doc.Servers) != 1 || e.doc.Servers[0].URL != "/api/v1" {
		t.Errorf("servers %v, want /api/v1", e.doc.Servers)
	}
	if s := e.doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Errorf("no http bearer security scheme")
	}
	for _, name := range []string{"Task", "TaskWithOutcome", "Project", "Column", "Member", "HistoryEntry", "Event", "Problem", "Conflict",
		"Sprint", "SprintCreate", "SprintUpdate", "SprintStart", "SprintCompletion", "CompletionPlan", "TaskPlan",
		"Duration", "NullableDuration", "Adjust", "Worklog", "WorklogWithTask", "WorklogCreate", "WorklogPatch", "WorklogDelete",
		"WorklogDeleted", "WorklogConflict"} {
		if e.doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s is missing", name)
		}
	}
	ids := map[string]bool{}
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or repeated", name, op.OperationID)
			}
			ids[op.OperationID] = true
			public := op.Security != nil && len(*op.Security) == 0
			if public != (path == "/openapi.json") {
				t.Errorf("%s: only /openapi.json may be used without a token", name)
			}
			if !public && op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s: 401 is not documented", name)
			}
			if method == http.MethodPost || method == http.MethodPatch {
				if op.Parameters.GetByInAndName("header", "Idempotency-Key") == nil {
					t.Errorf("%s: no Idempotency-Key parameter", name)
				}
			}
			for code, r := range op.Responses.Map() {
				if code[0] == '4' || code[0] == '5' {
					if r.Value.Content.Get("application/problem+json") == nil || len(r.Value.Content) != 1 {
						t.Errorf("%s: %s is not only application/problem+json", name, code)
					}
				}
			}
		}
	}
	if len(ids) != 38 {
		t.Errorf("%d operations, want 38", len(ids))
	}
}

// TestAPIDocumentMatchesRoutes checks that the document and the server have the same
// operations: every API route is documented and every documented operation is routed.
func TestAPIDocumentMatchesRoutes(t *testing.T) {
	e := newAPIEnv(t)
	documented := map[string]bool{}
	for path, item := range e.doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" /api/v1"+path] = true
		}
	}
	routed := map[string]bool{}
	for _, r := range e.routes(t) {
		routed[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("documented operation %s has no route", op)
		}
	}
}

// routes lists the server's API routes as "METHOD /api/v1/path/{param}".
func (e *apiEnv) routes(t *testing.T) []string {
	srv, h := handlers.New(e.st, handlers.Config{Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	var out []string
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.Contains(r.Path, "*") || r.Method == echo.RouteNotFound {
			continue
		}
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		out = append(out, r.Method+" "+strings.Join(parts, "/"))
	}
	if len(out) == 0 {
		t.Fatal("no API routes")
	}
	return out
}

// TestAPIUnknownPath checks that addresses under /api/v1 that are not part of the API
// answer 404 with a problem document, not the HTML page; so do methods a resource does
// not have (405 would be more precise: the catch-all route answers first).
func TestAPIUnknownPath(t *testing.T) {
	e := newAPIEnv(t)
	for _, c := range []struct {
		apiCall
		want  int
		allow string
	}{
		{apiCall{method: http.MethodGet, path: "/nope"}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodGet, path: "/nope", token: e.anaTok}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodGet, path: "/"}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodPost, path: "/tasks", token: e.anaTok, body: map[string]any{"title": "x"}}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodGet, path: "/projects/DEMO/nope", token: e.anaTok}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodGet, path: "/projects/DEMO/tasks/DEMO-1/nope", token: e.anaTok}, http.StatusNotFound, ""},
		{apiCall{method: http.MethodGet, path: "/projects/DEMO/tasks/DEMO-1/history/", token: e.anaTok}, http.StatusNotFound, ""},
		// A path that exists, with a method it does not take: 405 naming the ones it does.
		{apiCall{method: http.MethodDelete, path: "/projects/DEMO/tasks/DEMO-1", token: e.anaTok}, http.StatusMethodNotAllowed, "GET, PATCH"},
		{apiCall{method: http.MethodPut, path: "/projects/DEMO/tasks/DEMO-1", token: e.anaTok, body: map[string]any{"title": "x"}}, http.StatusMethodNotAllowed, "GET, PATCH"},
		{apiCall{method: http.MethodPost, path: "/projects", token: e.anaTok, body: map[string]any{"key": "NEW"}}, http.StatusMethodNotAllowed, "GET"},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			res := e.do(t, c.apiCall)
			res.expectProblem(t, c.want)
			if got := res.header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}
