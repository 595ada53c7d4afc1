package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
)

// The JSON API lives under /api/v1. It calls the same store commands as the web pages,
// with HTTP-native concurrency (ETag/If-Match → 412, no precondition → 428), Tack's
// merge rule for a body base_version (→ 409 with a conflict document), Idempotency-Key on
// POST/PATCH, and RFC 9457 problem details for every error.

const (
	apiPrefix      = "/api/v1"
	maxAPIBody     = maxBody
	mimeProblem    = "application/problem+json"
	ctxAPIUser     = "tack.api.user"
	headerIdemKey  = "Idempotency-Key"
	headerReplayed = "Idempotent-Replayed"
)

// problem is an RFC 9457 problem document with Tack's extension members.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Field     string `json:"field,omitempty"`
	Conflicts any    `json:"conflicts,omitempty"` // []conflictJSON; []sprintConflictJSON, []worklogConflictJSON
	// ConflictSeq names the recorded conflict, pending for its author until answered
	// (POST .../conflicts/{seq}).
	ConflictSeq int64 `json:"conflict_seq,omitempty"`
	// Current is the task (taskJSON), sprint (sprintJSON) or worklog (worklogJSON) as it
	// is now; currentVersion is its version, for the ETag.
	Current        any `json:"current,omitempty"`
	currentVersion int
}

// conflictJSON is one field of a conflict document: enough for a client to show
// "reconfirm".
type conflictJSON struct {
	Field     string    `json:"field"`
	Yours     any       `json:"yours"`
	Theirs    any       `json:"theirs"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	Seq       int64     `json:"seq"`
}

// apiStatus maps a store error code to the API's status code.
func apiStatus(code string) int {
	if code == store.EPRECONDITION {
		return http.StatusPreconditionFailed
	}
	return statusOf(code)
}

// problemFor turns any error into a problem document; refs shows the sprints of tasks.
func problemFor(err error, refs *sprintRefs) problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := problem{Status: he.Code, Title: http.StatusText(he.Code), Detail: http.StatusText(he.Code)}
		if msg, ok := he.Message.(string); ok && msg != "" && msg != p.Title {
			p.Detail = msg
		}
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			p.Detail = "The request body is larger than 1 MiB."
		case http.StatusNotFound:
			p.Detail = "There is no API resource at this address."
		case http.StatusMethodNotAllowed:
			p.Detail = "This resource does not support that method."
		}
		p.Type = problemType(p.Status)
		return p
	}
	code := store.ErrorCode(err)
	p := problem{Status: apiStatus(code), Detail: store.ErrorMessage(err)}
	p.Title, p.Type = http.StatusText(p.Status), problemType(p.Status)
	var se *store.Error
	if errors.As(err, &se) {
		p.Field = apiField(se.Field)
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		p.Title = "Conflict: changed by someone else"
		p.Conflicts, p.ConflictSeq = newConflictsJSON(ce.Fields, refs), ce.Seq
		p.Current, p.currentVersion = newTaskJSON(ce.Task, refs), ce.Task.Version
	}
	var pe *store.PreconditionError
	if errors.As(err, &pe) {
		p.Current, p.currentVersion = newTaskJSON(pe.Task, refs), pe.Task.Version
	}
	sprintProblem(&p, err, refs)
	worklogProblem(&p, err)
	return p
}

// apiField names an input the way the API's request bodies do, where the store's
// name for it differs.
func apiField(field string) string {
	switch field {
	case "column":
		return "column_id"
	case "assignee":
		return "assignee_id"
	case "step":
		return "position"
	case "version": // a sprint's base version
		return "base_version"
	case string(store.FieldEstimate):
		return "original_estimate"
	case string(store.FieldRemaining):
		return "remaining_estimate"
	}
	return field
}

// problemType is the problem's type URI, relative to this API.
func problemType(status int) string {
	slug := strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "-"))
	if slug == "" {
		slug = strconv.Itoa(status)
	}
	return apiPrefix + "/problems/" + slug
}

// writeProblem answers an API request with a problem document.
func (h *Handler) writeProblem(c echo.Context, err error) {
	refs := h.sprintRefs(ctx(c))
	p := problemFor(err, refs)
	if refs.err != nil {
		p = problemFor(refs.err, nil)
	}
	if p.Status >= 500 {
		h.log.Error("api request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		p.Detail = store.ErrorMessage(errors.New("internal"))
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="tack"`)
	}
	if p.Current != nil {
		c.Response().Header().Set("ETag", etag(p.currentVersion))
	}
	body, merr := json.Marshal(p)
	if merr != nil {
		body = []byte(`{"title":"Internal Server Error","status":500}`)
	}
	c.Response().Header().Set(echo.HeaderContentType, mimeProblem)
	c.Response().WriteHeader(p.Status)
	c.Response().Write(body)
}

func isAPI(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, apiPrefix+"/") || c.Request().URL.Path == apiPrefix
}

// checkQuery refuses an API request whose query string does not parse: Echo's
// QueryParam drops a malformed query silently, which would turn "?cursor=%%%" into
// the first page.
func checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(
				"The query string is malformed (%v): encode %% as %%25 and separate parameters with &.", err))
		}
		return next(c)
	}
}

// apiAuth authenticates a personal access token from Authorization: Bearer.
func (h *Handler) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(auth, " ")
		if auth == "" {
			return store.Errorf(store.EUNAUTHORIZED, "Send a personal access token: Authorization: Bearer <token>.")
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return store.Errorf(store.EUNAUTHORIZED, "The Authorization header must be: Bearer <token>.")
		}
		u, err := h.store.AuthenticateToken(ctx(c), strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		c.Set(ctxAPIUser, u)
		c.Set(ctxUser, u)
		return next(c)
	}
}

// readBody reads the request body, refusing bodies over 1 MiB with 413.
func readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > maxAPIBody {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if isTooLarge(err) {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return nil, store.Errorf(store.EINVALID, "The request body could not be read.")
	}
	if len(body) > maxAPIBody {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// decodeJSON decodes the body strictly into v: one JSON value, no unknown fields.
func decodeJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	// The body is read as JSON whatever Content-Type says: curl -d sends form encoding by
	// default, and a precise parse error helps more than a 415.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "The body must hold exactly one JSON value.")
	}
	return checkUTF8(body)
}

// checkUTF8 refuses JSON text that is not valid UTF-8: Go's decoder would quietly turn
// each bad byte into U+FFFD and Tack would store the damage. The error names the member
// holding the first bad string ("title", "operations[2].changes.title").
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	field := invalidUTF8Field(data)
	msg := "The body is not valid UTF-8 text; send JSON encoded as UTF-8."
	if field != "" {
		msg = fmt.Sprintf("Field %q is not valid UTF-8 text; send JSON encoded as UTF-8.", field)
	}
	return &store.Error{Code: store.EINVALID, Field: field, Message: msg}
}

// invalidUTF8Field returns the path of the member whose string (value or name) holds the
// first invalid UTF-8 byte of data, which must be one valid JSON value; "" for the top level.
func invalidUTF8Field(data []byte) string {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.object && !f.wantKey:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			case !f.object:
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		return b.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		raw := data[start:dec.InputOffset()]
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if !utf8.Valid(raw) {
					return path() // a member name: the object holding it
				}
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if !utf8.Valid(raw) {
				return path()
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// badJSON describes a decoding error for people: which field, what was expected.
func badJSON(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	msg := err.Error()
	switch {
	case errors.As(err, &syn):
		msg = fmt.Sprintf("The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		msg = fmt.Sprintf("The body must be a JSON object, not %s.", jsonValue(typ.Value))
	case errors.As(err, &typ):
		// Bodies are flat objects, but Field has the Go names of embedded structs in front
		// ("taskFields.title"): the member is the last part.
		member := typ.Field[strings.LastIndexByte(typ.Field, '.')+1:]
		msg = fmt.Sprintf("Field %q must be %s, not %s.", member, jsonKind(typ.Type), jsonValue(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "The body is not valid JSON (it ends too soon)."
	case errors.Is(err, io.EOF):
		msg = "The body is empty; send a JSON object."
	case strings.HasPrefix(msg, "json: unknown field "):
		msg = fmt.Sprintf("Unknown field %s.", strings.TrimPrefix(msg, "json: unknown field "))
	}
	return echo.NewHTTPError(http.StatusBadRequest, msg)
}

// jsonKind names the JSON value a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}

// jsonValue names the JSON value the decoder found ("array", "number 1.5").
func jsonValue(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	}
	return "a " + v
}

// writeJSON answers with a JSON document.
func writeJSON(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// etag is the strong entity tag of a task version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch parses If-Match into a version; ok is false when the header is absent.
func ifMatch(c echo.Context) (version int, ok bool, err error) {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if v == "" {
		return 0, false, nil
	}
	if !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) || len(v) < 3 {
		return 0, true, echo.NewHTTPError(http.StatusBadRequest, `If-Match must be an ETag such as "7".`)
	}
	n, convErr := strconv.Atoi(v[1 : len(v)-1])
	if convErr != nil || n < 0 {
		return 0, true, echo.NewHTTPError(http.StatusBadRequest, `If-Match must be an ETag such as "7".`)
	}
	return n, true, nil
}

// precondition returns the base version of a write and whether it is strict
// (If-Match) or asks for the merge rule (base_version); neither is 428.
func precondition(c echo.Context, baseVersion *int) (int, bool, error) {
	v, strict, err := ifMatch(c)
	if err != nil {
		return 0, false, err
	}
	if strict {
		return v, true, nil
	}
	if baseVersion == nil {
		return 0, false, echo.NewHTTPError(http.StatusPreconditionRequired,
			`Say which version you changed: send If-Match: "<version>" (strict) or "base_version" in the body (merge).`)
	}
	if *baseVersion < 1 {
		return 0, false, &store.Error{Code: store.EINVALID, Field: "base_version", Message: "base_version must be a version number (1 or more)."}
	}
	return *baseVersion, false, nil
}

// idempotent makes POST and PATCH with an Idempotency-Key safe to retry: a repeat with
// the same key and body gets the first response and changes nothing; the same key with
// another body is 422.
func (h *Handler) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get(headerIdemKey)
		m := c.Request().Method
		if key == "" || (m != http.MethodPost && m != http.MethodPatch) {
			return next(c)
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		// The precondition is part of the request: the same body against another version
		// is another request.
		sum := sha256.Sum256([]byte(m + " " + c.Request().URL.RequestURI() + "\nIf-Match: " +
			c.Request().Header.Get("If-Match") + "\n" + string(body)))
		user := currentUser(c).ID
		saved, err := h.store.BeginIdempotent(ctx(c), user, key, hex.EncodeToString(sum[:]))
		if err != nil {
			return err
		}
		if saved != nil {
			for k, v := range saved.Headers {
				c.Response().Header().Set(k, v)
			}
			c.Response().Header().Set(headerReplayed, "true")
			return c.Blob(saved.Status, saved.ContentType, saved.Body)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		err = next(c)
		if err != nil {
			h.handleError(err, c) // render the problem now, so it is recorded too
		}
		if rec.status >= 500 || rec.status == 0 {
			if aerr := h.store.AbandonIdempotent(ctx(c), user, key); aerr != nil {
				h.log.Error("release idempotency key", "err", aerr)
			}
			return nil
		}
		res := store.SavedResponse{Status: rec.status, ContentType: c.Response().Header().Get(echo.HeaderContentType),
			Headers: map[string]string{}, Body: rec.body.Bytes()}
		for _, name := range []string{"ETag", "Location"} {
			if v := c.Response().Header().Get(name); v != "" {
				res.Headers[name] = v
			}
		}
		if ferr := h.store.FinishIdempotent(ctx(c), user, key, res); ferr != nil {
			h.log.Error("save idempotent response", "err", ferr)
		}
		return nil
	}
}

// recorder passes a response through while keeping a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
