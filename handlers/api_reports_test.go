package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/tack-pm/tack/store"
)

// reportOps are the report operations of the API: TestAPIReports covers their answers
// (TestAPIEndpoints skips them). Below /api/v1, each path is its web page's path.
var reportOps = []struct{ op, path string }{
	{"getSprintReport", "/projects/DEMO/sprints/%d/report"},
	{"getSprintBurndown", "/projects/DEMO/sprints/%d/burndown"},
	{"getVelocity", "/projects/DEMO/reports/velocity"},
	{"getFlow", "/projects/DEMO/reports/flow"},
}

// reportSchemas maps each report operation to the schema of its JSON answer.
var reportSchemas = map[string]string{
	"getSprintReport": "SprintReport", "getSprintBurndown": "Burndown", "getVelocity": "Velocity", "getFlow": "Flow",
}

// reportEnv is the API on the demo workspace with its sprints as seeded (DEMO Sprint 1
// completed, Sprint 2 active, Sprint 3 planned) and a clock the test sets: the running
// sprint's report says when it was computed, so page and API agree on it only under one
// clock.
type reportEnv struct {
	*apiEnv
	clock *reportClock
	page  *browser // Ana, signed in to the web pages
	// done, running and planned are the demo's sprints.
	done, running, planned *store.Sprint
}

func newReportEnv(t *testing.T) *reportEnv {
	t.Helper()
	// The demo is seeded at the real time, before the clock is set: the clock starts
	// after it, so that the running sprint's report is computed at the clock's now.
	clock := &reportClock{now: time.Now().UTC().Add(time.Hour).Truncate(time.Second)}
	e := &reportEnv{apiEnv: newAPIEnvWith(t, appOptions{activeSprint: true, now: clock.Now}), clock: clock}
	e.page = e.browser()
	e.page.signIn(anaEmail, anaPass)
	sprints, err := e.st.Sprints(e.ctx, e.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sprints {
		switch s.State {
		case store.SprintCompleted:
			e.done = s
		case store.SprintActive:
			e.running = s
		case store.SprintPlanned:
			e.planned = s
		}
	}
	if e.done == nil || e.running == nil || e.planned == nil {
		t.Fatalf("the demo should have a completed, an active and a planned sprint: %+v", sprints)
	}
	return e
}

// reportCase is one report request, sent to the API and to the web page.
type reportCase struct {
	op    string // operationId
	path  string // API path below /api/v1, with the query; the page has the same path
	query string // query shared by page and API, without format
}

// cases lists the requests the tests send: every report, unit and kind of sprint.
func (e *reportEnv) cases() []reportCase {
	var out []reportCase
	for _, o := range reportOps[:2] {
		for _, sp := range []*store.Sprint{e.done, e.running} {
			for _, unit := range []string{"", "unit=points", "unit=count", "unit=remaining", "unit=original"} {
				out = append(out, reportCase{o.op, fmt.Sprintf(o.path, sp.Number), unit})
			}
		}
	}
	for _, q := range []string{"", "unit=count", "sprints=all", "sprints=1&unit=remaining"} {
		out = append(out, reportCase{"getVelocity", reportOps[2].path, q})
	}
	for _, q := range []string{"", "range=week", "range=quarter", "from=2026-10-15&to=2026-11-20", "from=2026-10-19&to=2026-10-30&table=cycle"} {
		out = append(out, reportCase{"getFlow", reportOps[3].path, q})
	}
	return out
}

// with returns path?query&extra.
func with(path, query, extra string) string {
	q := strings.Trim(query+"&"+extra, "&")
	if q == "" {
		return path
	}
	return path + "?" + q
}

// TestAPIReports checks the four report operations: each answer is the page's
// ?format=json or ?format=csv byte for byte, valid against the OpenAPI document (which
// lists every member: see TestAPIReportSchemasDeclareEveryMember), with an ETag; and
// the refusals. It ends by checking each operation answered 200, 304, 400, 401, 404
// and 422 at least once.
func TestAPIReports(t *testing.T) {
	e := newReportEnv(t)
	t.Run("same bytes as the pages", func(t *testing.T) { e.testSameBytes(t) })
	t.Run("running sprint as of a position", func(t *testing.T) { e.testRunningAsOf(t) })
	t.Run("frozen report keeps its bytes and ETag", func(t *testing.T) { e.testFrozen(t) })
	t.Run("running report's ETag", func(t *testing.T) { e.testRunningETag(t) })
	t.Run("velocity and flow ETags", func(t *testing.T) { e.testOtherETags(t) })
	t.Run("refusals", func(t *testing.T) { e.testRefusals(t) })
	t.Run("viewer", func(t *testing.T) {
		for _, c := range e.cases() {
			e.get(t, e.chloeTok, with(c.path, c.query, "")).expect(t, http.StatusOK)
		}
	})
	for _, o := range reportOps {
		for _, status := range []int{http.StatusOK, http.StatusNotModified, http.StatusBadRequest, http.StatusUnauthorized,
			http.StatusNotFound, http.StatusUnprocessableEntity} {
			if !e.seen[o.op][status] {
				t.Errorf("%s: no test got %d", o.op, status)
			}
		}
	}
}

// testSameBytes compares every case's API answer with the page's, in JSON (by default
// and asked for) and in CSV: same status, type, attachment name and bytes.
func (e *reportEnv) testSameBytes(t *testing.T) {
	for _, c := range e.cases() {
		for _, format := range []string{"json", "csv"} {
			page := e.page.get(with(c.path, c.query, "format="+format))
			expectStatus(t, page, http.StatusOK)
			asked := e.get(t, e.benTok, with(c.path, c.query, "format="+format)).expect(t, http.StatusOK)
			answers := []*apiResult{asked}
			if format == "json" {
				answers = append(answers, e.get(t, e.benTok, with(c.path, c.query, "")).expect(t, http.StatusOK))
			}
			for _, api := range answers {
				what := fmt.Sprintf("%s %s", c.op, with(c.path, c.query, "format="+format))
				if !bytes.Equal(api.body, []byte(page.Body)) {
					t.Errorf("%s: the API's bytes differ from the page's\nAPI:  %s\npage: %s", what, apiAbbrev(api.body), apiAbbrev([]byte(page.Body)))
				}
				for _, h := range []string{"Content-Type", "Content-Disposition"} {
					if api.header.Get(h) != page.Header.Get(h) {
						t.Errorf("%s: %s %q, the page's %q", what, h, api.header.Get(h), page.Header.Get(h))
					}
				}
				if api.header.Get("ETag") == "" {
					t.Errorf("%s: no ETag", what)
				}
			}
			if format == "csv" && !strings.HasPrefix(asked.header.Get("Content-Type"), "text/csv") {
				t.Errorf("%s: CSV is %q", c.path, asked.header.Get("Content-Type"))
			}
		}
	}
}

// testRunningAsOf: the running sprint's report as of a position is the page's too, and
// its bytes are fixed by the log: a strong ETag that later changes leave alone.
func (e *reportEnv) testRunningAsOf(t *testing.T) {
	path := fmt.Sprintf("/projects/DEMO/sprints/%d/report", e.running.Number)
	var now store.SprintReport
	e.get(t, e.benTok, path).expect(t, http.StatusOK).decode(t, &now)
	q := "as_of=" + strconv.FormatInt(now.AsOf, 10)
	first := e.get(t, e.benTok, with(path, q, "")).expect(t, http.StatusOK)
	if page := e.page.get(with(path, q, "format=json")); page.Body != string(first.body) {
		t.Errorf("as of %d: API and page differ\nAPI:  %s\npage: %s", now.AsOf, apiAbbrev(first.body), page.Body)
	}
	tag := first.header.Get("ETag")
	if strings.HasPrefix(tag, "W/") {
		t.Errorf("a report as of a position has a weak ETag %s", tag)
	}
	e.renameTask(t, now.Committed[0].TaskID, "Renamed after the position")
	e.clock.set(e.clock.Now().Add(26 * time.Hour))
	again := e.get(t, e.benTok, with(path, q, "")).expect(t, http.StatusOK)
	if !bytes.Equal(again.body, first.body) || again.header.Get("ETag") != tag {
		t.Errorf("as of %d: the report changed after a later edit and a day\nbefore %s %s\nafter  %s %s",
			now.AsOf, tag, apiAbbrev(first.body), again.header.Get("ETag"), apiAbbrev(again.body))
	}
	e.notModified(t, with(path, q, ""), tag)
}

// testFrozen: the completed sprint's report and burndown, JSON and CSV, keep their bytes
// and strong ETag after an edit of one of its tasks; If-None-Match gets 304.
func (e *reportEnv) testFrozen(t *testing.T) {
	type answer struct {
		tag  string
		body []byte
	}
	before := map[string]answer{}
	var paths []string
	for _, page := range []string{"report", "burndown"} {
		for _, q := range []string{"", "format=csv", "unit=count", "unit=remaining&format=csv"} {
			paths = append(paths, with(fmt.Sprintf("/projects/DEMO/sprints/%d/%s", e.done.Number, page), q, ""))
		}
	}
	var rep store.SprintReport
	for _, p := range paths {
		res := e.get(t, e.benTok, p).expect(t, http.StatusOK)
		tag := res.header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) {
			t.Errorf("%s: ETag %q is not strong", p, tag)
		}
		before[p] = answer{tag, res.body}
		if strings.HasSuffix(p, "/report") {
			res.decode(t, &rep)
		}
	}
	if len(rep.Completed) == 0 || len(rep.NotCompleted) == 0 {
		t.Fatalf("the completed sprint's report should list tasks completed and carried over: %+v", rep)
	}
	// Its completed tasks were archived after the review; a carried-over one is still
	// on the board.
	e.renameTask(t, rep.NotCompleted[0].TaskID, "Renamed after the sprint")
	for _, p := range paths {
		res := e.get(t, e.benTok, p).expect(t, http.StatusOK)
		if b := before[p]; !bytes.Equal(res.body, b.body) || res.header.Get("ETag") != b.tag {
			t.Errorf("%s changed after an edit of one of its tasks", p)
		}
		e.notModified(t, p, before[p].tag)
		// A list of tags, weak or not, naming it is a match too (RFC 9110 weak comparison).
		e.notModified(t, p, `"nope", W/`+before[p].tag)
	}
	if before[paths[0]].tag == before[paths[1]].tag {
		t.Errorf("JSON and CSV share the ETag %s", before[paths[0]].tag)
	}
}

// testRunningETag: the running sprint's report at now has a weak ETag that holds while
// nothing happens, and changes with the log and with the day.
func (e *reportEnv) testRunningETag(t *testing.T) {
	path := fmt.Sprintf("/projects/DEMO/sprints/%d/burndown", e.running.Number)
	first := e.get(t, e.benTok, path).expect(t, http.StatusOK)
	tag := first.header.Get("ETag")
	if !strings.HasPrefix(tag, `W/"`) {
		t.Fatalf("running sprint's ETag %q is not weak", tag)
	}
	e.notModified(t, path, tag)
	if csv := e.get(t, e.benTok, with(path, "format=csv", "")).header.Get("ETag"); csv == tag {
		t.Errorf("JSON and CSV share the ETag %s", tag)
	}

	var rep store.SprintReport
	e.get(t, e.benTok, fmt.Sprintf("/projects/DEMO/sprints/%d/report", e.running.Number)).expect(t, http.StatusOK).decode(t, &rep)
	e.renameTask(t, rep.Committed[0].TaskID, "Renamed while the sprint runs")
	afterEdit := e.getWith(t, e.benTok, path, "If-None-Match", tag).expect(t, http.StatusOK)
	tag2 := afterEdit.header.Get("ETag")
	if tag2 == tag || !strings.HasPrefix(tag2, `W/"`) {
		t.Errorf("after an edit the ETag is %s (was %s)", tag2, tag)
	}
	e.clock.set(e.clock.Now().Add(24 * time.Hour))
	nextDay := e.getWith(t, e.benTok, path, "If-None-Match", tag2).expect(t, http.StatusOK)
	if nextDay.header.Get("ETag") == tag2 {
		t.Errorf("the next day the ETag is still %s", tag2)
	}
	if bytes.Equal(nextDay.body, afterEdit.body) {
		t.Errorf("the burndown did not move on a day")
	}
}

// testOtherETags: velocity and flow are tagged by their bytes.
func (e *reportEnv) testOtherETags(t *testing.T) {
	for _, p := range []string{"/projects/DEMO/reports/velocity", "/projects/DEMO/reports/velocity?format=csv",
		"/projects/DEMO/reports/flow?range=week", "/projects/DEMO/reports/flow?range=week&format=csv&table=cycle"} {
		res := e.get(t, e.benTok, p).expect(t, http.StatusOK)
		tag := res.header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) {
			t.Errorf("%s: ETag %q is not strong", p, tag)
		}
		e.notModified(t, p, tag)
		if again := e.getWith(t, e.benTok, p, "If-None-Match", `"other"`).expect(t, http.StatusOK); !bytes.Equal(again.body, res.body) {
			t.Errorf("%s: another tag gets other bytes", p)
		}
	}
}

// testRefusals: no token, a stranger, unknown project or sprint, a planned sprint, and
// bad parameters, each as a problem naming what is wrong.
func (e *reportEnv) testRefusals(t *testing.T) {
	var all []string
	for _, o := range reportOps {
		p := o.path
		if strings.Contains(p, "%d") {
			p = fmt.Sprintf(p, e.done.Number)
		}
		all = append(all, p)
	}
	for _, p := range all {
		e.get(t, "", p).expectProblem(t, http.StatusUnauthorized)
		e.get(t, "tack_not-a-token", p).expectProblem(t, http.StatusUnauthorized)
		e.get(t, e.strangerTok, p).expectProblem(t, http.StatusNotFound)
		e.get(t, e.benTok, strings.Replace(p, "/DEMO/", "/NOPE/", 1)).expectProblem(t, http.StatusNotFound)
		e.get(t, e.benTok, p+"?unit=%zz").expectProblem(t, http.StatusBadRequest, "malformed")
		e.get(t, e.benTok, p+"?format=xml").expectProblem(t, http.StatusUnprocessableEntity, "xml", "json or csv")
		e.get(t, e.benTok, p+"?format=html").expectProblem(t, http.StatusUnprocessableEntity, "html")
		if !strings.HasSuffix(p, "/flow") {
			pb := e.get(t, e.benTok, p+"?unit=hours").expectProblem(t, http.StatusUnprocessableEntity, "hours", "points, count, remaining or original")
			if pb.Field != "unit" {
				t.Errorf("%s?unit=hours: field %q, want unit", p, pb.Field)
			}
		}
	}
	for _, page := range []string{"report", "burndown"} {
		at := func(n any, q string) string { return with(fmt.Sprintf("/projects/DEMO/sprints/%v/%s", n, page), q, "") }
		e.get(t, e.benTok, at(99, "")).expectProblem(t, http.StatusNotFound, "no sprint 99")
		e.get(t, e.benTok, at(0, "")).expectProblem(t, http.StatusNotFound)
		e.get(t, e.strangerTok, at(99, "")).expectProblem(t, http.StatusNotFound)
		e.get(t, e.benTok, at(e.planned.Number, "")).expectProblem(t, http.StatusUnprocessableEntity, "has not started")
		if pb := e.get(t, e.benTok, at(e.done.Number, "as_of=soon")).expectProblem(t, http.StatusUnprocessableEntity, "soon"); pb.Field != "as_of" {
			t.Errorf("as_of=soon: field %q", pb.Field)
		}
		e.get(t, e.benTok, at(e.done.Number, "as_of=-1")).expectProblem(t, http.StatusUnprocessableEntity, "event position")
		e.get(t, e.benTok, at(e.done.Number, "as_of=99999999")).expectProblem(t, http.StatusUnprocessableEntity, "beyond the end of the log")
		e.get(t, e.benTok, at(e.running.Number, "as_of=1")).expectProblem(t, http.StatusUnprocessableEntity, "did not exist yet")
	}
	velocity := "/projects/DEMO/reports/velocity"
	for _, q := range []string{"sprints=0", "sprints=-3", "sprints=many", "sprints=10001"} {
		if pb := e.get(t, e.benTok, with(velocity, q, "")).expectProblem(t, http.StatusUnprocessableEntity, "sprints="); pb.Field != "sprints" {
			t.Errorf("%s: field %q", q, pb.Field)
		}
	}
	flow := "/projects/DEMO/reports/flow"
	for _, c := range []struct{ q, field, word string }{
		{"range=year", "range", "no range"},
		{"range=week&from=2026-11-01", "range", "not both"},
		{"to=2026-11-10", "from", "where the range begins"},
		{"from=yesterday", "from", "not a date"},
		{"from=2026-11-10&to=2026-11-01", "to", "before it begins"},
		{"from=2026-11-10&to=2026-12-31", "to", "in the future"},
		{"from=2024-01-01&to=2026-11-01", "to", "at most 366 days"},
		{"table=burndown", "table", "no table"},
	} {
		if pb := e.get(t, e.benTok, with(flow, c.q, "")).expectProblem(t, http.StatusUnprocessableEntity, c.word); pb.Field != c.field {
			t.Errorf("%s: field %q, want %q", c.q, pb.Field, c.field)
		}
	}
}

// notModified checks that If-None-Match: tags gets 304 from path.
func (e *reportEnv) notModified(t *testing.T, path, tags string) {
	t.Helper()
	res := e.getWith(t, e.benTok, path, "If-None-Match", tags).expect(t, http.StatusNotModified)
	if want := strings.TrimSpace(tags[strings.LastIndex(tags, ",")+1:]); strings.TrimPrefix(res.header.Get("ETag"), "W/") != strings.TrimPrefix(want, "W/") {
		t.Errorf("%s: 304 with ETag %q for If-None-Match %q", path, res.header.Get("ETag"), tags)
	}
}

// getWith is get with headers (name, value pairs).
func (e *reportEnv) getWith(t *testing.T, token, path string, header ...string) *apiResult {
	t.Helper()
	return e.do(t, apiCall{method: http.MethodGet, path: path, token: token, header: apiHeader(header)})
}

// renameTask changes a task's title, as Ana.
func (e *reportEnv) renameTask(t *testing.T, id, title string) {
	t.Helper()
	tk, err := e.st.Task(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateTask(e.ctx, e.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Title: store.Some(title)}); err != nil {
		t.Fatalf("rename %s: %v", tk.Key, err)
	}
}

// TestAPIReportSchemasDeclareEveryMember checks that the OpenAPI document declares every
// member of every report's JSON, in two independent ways: walking each answer's members
// against the schema (a member the schema does not name fails), and showing that the
// document's validation refuses an answer once one member is taken out of its schema
// (additionalProperties: false, so what the API validation in apiEnv.do accepts is
// fully declared).
func TestAPIReportSchemasDeclareEveryMember(t *testing.T) {
	e := newReportEnv(t)
	answers := map[string][][]byte{} // operationId → JSON answers
	for _, c := range e.cases() {
		answers[c.op] = append(answers[c.op], e.get(t, e.benTok, with(c.path, c.query, "")).expect(t, http.StatusOK).body)
	}
	declared := map[string]bool{} // "Schema.member" seen in an answer
	for op, bodies := range answers {
		schema := e.doc.Components.Schemas[reportSchemas[op]].Value
		for _, b := range bodies {
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			for _, miss := range undeclared(schema, v, reportSchemas[op], declared) {
				t.Errorf("%s: member %s is not in the OpenAPI document", op, miss)
			}
		}
	}
	// Each member of each report schema appeared in some answer: the tests see them all.
	for _, name := range []string{"SprintReport", "ReportTask", "ReportChange", "Burndown", "BurndownDay", "Velocity",
		"VelocitySprint", "Flow", "CumulativeFlow", "FlowSeries", "FlowDay", "FlowCount", "CycleTimes", "CycleTask"} {
		s := e.doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("schema %s is missing", name)
			continue
		}
		if s.Value.AdditionalProperties.Has == nil || *s.Value.AdditionalProperties.Has {
			t.Errorf("schema %s allows members it does not declare", name)
		}
		for prop := range s.Value.Properties {
			if !declared[name+"."+prop] {
				t.Errorf("%s.%s is in no answer the test saw", name, prop)
			}
		}
	}

	// Take one member out of a schema: the document's validation must refuse the answer.
	raw := e.get(t, "", "/openapi.json").expect(t, http.StatusOK).body
	for _, c := range []struct{ op, path, schema, member string }{
		{"getSprintReport", fmt.Sprintf("/projects/DEMO/sprints/%d/report", e.done.Number), "SprintReport", "time_logged"},
		{"getSprintReport", fmt.Sprintf("/projects/DEMO/sprints/%d/report", e.done.Number), "ReportTask", "to"},
		{"getSprintReport", fmt.Sprintf("/projects/DEMO/sprints/%d/report", e.done.Number), "ReportChange", "from"},
		{"getSprintBurndown", fmt.Sprintf("/projects/DEMO/sprints/%d/burndown", e.running.Number), "BurndownDay", "guide"},
		{"getVelocity", "/projects/DEMO/reports/velocity", "VelocitySprint", "final"},
		{"getFlow", "/projects/DEMO/reports/flow", "FlowCount", "category"},
		{"getFlow", "/projects/DEMO/reports/flow?from=2026-10-19&to=2026-11-20", "CycleTask", "seconds"},
	} {
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			t.Fatal(err)
		}
		s := doc.Components.Schemas[c.schema].Value
		delete(s.Properties, c.member)
		s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == c.member })
		res := e.get(t, e.benTok, c.path).expect(t, http.StatusOK)
		if err := validateReport(doc, c.path, res); err == nil {
			t.Errorf("without %s.%s the document still accepts %s", c.schema, c.member, c.path)
		} else if !strings.Contains(err.Error(), c.member) {
			t.Errorf("without %s.%s: refused for another reason: %v", c.schema, c.member, err)
		}
		if err := validateReport(e.doc, c.path, res); err != nil {
			t.Errorf("the served document refuses %s: %v", c.path, err)
		}
	}
}

// validateReport validates a GET answer against doc.
func validateReport(doc *openapi3.T, path string, res *apiResult) error {
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, "/api/v1"+path, nil)
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: res.status, Header: res.header, Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(res.body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// undeclared walks v along schema (named name) and returns the members of v's objects
// that their schema does not declare, as "Schema.member" paths; it notes each declared
// member it meets in seen.
func undeclared(schema *openapi3.Schema, v any, name string, seen map[string]bool) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.SchemaRef{}
		names := map[string]string{} // member → the schema declaring it
		var collect func(s *openapi3.Schema, n string)
		collect = func(s *openapi3.Schema, n string) {
			for k, p := range s.Properties {
				props[k], names[k] = p, n
			}
			for _, a := range s.AllOf {
				collect(a.Value, refName(a, n))
			}
		}
		collect(schema, name)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, ok := props[k]
			if !ok {
				out = append(out, name+"."+k)
				continue
			}
			seen[names[k]+"."+k] = true
			out = append(out, undeclared(p.Value, x[k], refName(p, names[k]+"."+k), seen)...)
		}
	case []any:
		for _, item := range x {
			if schema.Items == nil {
				return append(out, name+"[]")
			}
			out = append(out, undeclared(schema.Items.Value, item, refName(schema.Items, name+"[]"), seen)...)
		}
	}
	return out
}

// refName is the name of the component a schema reference points to (through one
// allOf), or fallback for an inline schema.
func refName(r *openapi3.SchemaRef, fallback string) string {
	if r.Ref != "" {
		return r.Ref[strings.LastIndex(r.Ref, "/")+1:]
	}
	if r.Value != nil && len(r.Value.AllOf) == 1 && r.Value.AllOf[0].Ref != "" {
		return refName(r.Value.AllOf[0], fallback)
	}
	return fallback
}
