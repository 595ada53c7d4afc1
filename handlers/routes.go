package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tack-pm/tack/static"
	"github.com/tack-pm/tack/store"
)

// Context keys set by middleware.
const (
	ctxUser    = "tack.user"
	ctxProject = "tack.project"
	ctxRole    = "tack.role"
	// ctxSession is set once the session is loaded: routes outside the web group
	// (static files, unknown URLs) have none, and scs panics when asked for one.
	ctxSession = "tack.session"
)

// gzipLevel is the fastest compression: most of the size goes at a fraction of the CPU.
const gzipLevel = 1

var errCSRF = store.Errorf(store.EFORBIDDEN, "This form has expired or did not come from Tack. Reload the page and try again.")

func (h *Handler) routes(e *echo.Echo, cfg Config) {
	e.Use(middleware.Recover())
	// Before anything parses a body: sessions, CSRF and handlers see at most 1 MiB.
	e.Use(limitBody)
	if cfg.SecureCookies {
		e.Use(strictTransport)
	}
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
	}))
	// Pages, fragments, JSON and static files go compressed to clients that accept it (a
	// 521-card board page is ~600 KB of HTML and ~40 KB gzipped); event streams do not,
	// since each event must leave at once.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Level:     gzipLevel,
		MinLength: 1024,
		Skipper:   func(c echo.Context) bool { return strings.HasSuffix(c.Request().URL.Path, "/stream") },
	}))
	e.GET("/healthz", h.healthz)
	h.apiRoutes(e)
	e.StaticFS("/static", static.FS)

	web := e.Group("", checkOrigin(cfg.SecureCookies), echo.WrapMiddleware(h.sessions.LoadAndSave), middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "tack_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   cfg.SecureCookies,
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
		// Browsers say where a request came from; a state change from another site is refused
		// with the same message as a missing token.
		AllowSecFetchSiteFunc: func(echo.Context) (bool, error) { return false, errCSRF },
	}), h.loadUser)
	web.GET("/", h.home)
	web.GET("/signin", h.signInPage)
	web.POST("/signin", h.signIn)
	web.GET("/signup", h.signUpPage)
	web.POST("/signup", h.signUp)
	web.POST("/signout", h.signOut)
	web.GET("/invite/:token", h.invitePage)
	web.POST("/invite/:token", h.acceptInvite)
	web.GET("/reset/:token", h.resetPasswordPage)
	web.POST("/reset/:token", h.resetPassword)

	app := web.Group("", h.requireUser)
	app.GET("/projects", h.listProjects)
	app.GET("/my-work", h.myWork)
	app.GET("/timesheet", h.timesheet)
	app.GET("/timesheet.csv", h.timesheetCSV)
	app.POST("/projects", h.createProject)
	app.GET("/settings/tokens", h.tokensPage)
	app.POST("/settings/tokens", h.createToken)
	app.POST("/settings/tokens/:id/revoke", h.revokeToken)

	p := app.Group("/projects/:key", h.loadProject)
	p.GET("", h.projectHome)
	p.POST("/tasks", h.createTask)
	p.GET("/tasks/:task", h.taskPage)
	p.GET("/tasks/:task/panel", h.taskPanel)
	p.POST("/tasks/:task", h.updateTask)
	p.POST("/tasks/:task/move", h.moveTask)
	p.POST("/tasks/:task/conflicts/:seq", h.answerConflict)
	p.GET("/tasks/:task/time", h.taskTime)
	p.GET("/tasks/:task/stream", h.taskStream)
	p.POST("/tasks/:task/worklogs", h.logWork)
	p.GET("/tasks/:task/worklogs/:id", h.worklogPage(false))
	p.POST("/tasks/:task/worklogs/:id", h.editWorklog)
	p.GET("/tasks/:task/worklogs/:id/delete", h.worklogPage(true))
	p.POST("/tasks/:task/worklogs/:id/delete", h.deleteWorklog)
	p.GET("/board", h.board)
	p.GET("/board/stream", h.boardStream)
	p.POST("/board/move", h.boardMove)
	p.GET("/board/move/:task", h.movePage)
	p.POST("/board/tasks", h.boardCreate)
	p.GET("/reports/flow", h.flowReport)
	p.GET("/backlog", h.backlog)
	p.GET("/backlog/stream", h.backlogStream)
	p.POST("/backlog/plan", h.backlogPlan)
	p.POST("/backlog/plan-many", h.backlogPlanMany)
	p.GET("/backlog/move/:task", h.backlogMovePage)
	p.POST("/backlog/tasks", h.backlogCreate)
	p.GET("/activity", h.activity)
	p.GET("/sprints", h.sprints)
	p.POST("/sprints", h.createSprint)
	p.POST("/sprints/settings", h.sprintSettings)
	p.GET("/sprints/:n", h.sprintPage)
	p.POST("/sprints/:n", h.updateSprint)
	p.POST("/sprints/:n/start", h.startSprint)
	p.POST("/sprints/:n/delete", h.deleteSprint)
	p.POST("/sprints/:n/reopen", h.reopenSprint)
	p.GET("/sprints/:n/complete", h.completePage)
	p.POST("/sprints/:n/complete", h.completeSprint)
	p.GET("/sprints/:n/report", h.sprintReport)
	p.GET("/sprints/:n/burndown", h.sprintBurndown)
	p.GET("/sprints/:n/print.css", h.reportPrintCSS)
	p.GET("/reports/velocity", h.velocity)
	p.GET("/reports/velocity/print.css", h.velocityPrintCSS)
	p.GET("/workflow", h.workflow)
	p.POST("/workflow", h.saveWorkflow)
	p.GET("/members", h.members)
	p.POST("/members", h.addMember)
	p.POST("/members/:user", h.changeMember)
	p.POST("/members/:user/remove", h.removeMember)
	p.POST("/members/:user/password-reset", h.createPasswordReset)
	p.POST("/invitations", h.createInvitation)
	p.POST("/invitations/:id/revoke", h.revokeInvitation)
	p.GET("/timesheet", h.timesheet)
	p.GET("/timesheet.csv", h.timesheetCSV)
	p.GET("/settings", h.settings)
	p.POST("/settings/time", h.saveTimeSettings)
	p.POST("/settings/calendar", h.saveWorkCalendar)
}

// apiRoutes registers the JSON API: token auth, no cookies, so no CSRF.
func (h *Handler) apiRoutes(e *echo.Echo) {
	// Middleware is given per route: Echo gives a group with middleware a catch-all
	// route, which would answer unknown API paths with 401. The explicit catch-all below
	// keeps unknown API paths (and methods) away from the web pages' sign-in redirect:
	// they get a 404 problem document.
	e.Any(apiPrefix, apiNotFound)
	e.Any(apiPrefix+"/*", apiNotFound)
	authed := []echo.MiddlewareFunc{checkQuery, h.apiAuth, h.idempotent}
	inProject := append(authed[:len(authed):len(authed)], h.loadProject)
	e.GET(apiPrefix+"/openapi.json", h.apiOpenAPI, checkQuery)
	e.GET(apiPrefix+"/projects", h.apiProjects, authed...)
	e.POST(apiPrefix+"/sync", h.apiSync, authed...)
	for _, r := range []struct {
		method, path string
		handler      echo.HandlerFunc
	}{
		{http.MethodGet, "", h.apiProject},
		{http.MethodGet, "/members", h.apiMembers},
		{http.MethodGet, "/columns", h.apiColumns},
		{http.MethodGet, "/tasks", h.apiTasks},
		{http.MethodPost, "/tasks", h.apiCreateTask},
		{http.MethodGet, "/tasks/:task", h.apiTask},
		{http.MethodPatch, "/tasks/:task", h.apiPatchTask},
		{http.MethodPost, "/tasks/:task/move", h.apiMoveTask},
		{http.MethodPost, "/tasks/:task/archive", h.apiArchive(true)},
		{http.MethodPost, "/tasks/:task/restore", h.apiArchive(false)},
		{http.MethodGet, "/tasks/:task/history", h.apiTaskHistory},
		{http.MethodPost, "/tasks/:task/plan", h.apiPlanTask},
		{http.MethodGet, "/tasks/:task/worklogs", h.apiWorklogs},
		{http.MethodPost, "/tasks/:task/worklogs", h.apiLogWork},
		{http.MethodGet, "/tasks/:task/worklogs/:worklog", h.apiWorklog},
		{http.MethodPatch, "/tasks/:task/worklogs/:worklog", h.apiPatchWorklog},
		{http.MethodDelete, "/tasks/:task/worklogs/:worklog", h.apiDeleteWorklog},
		{http.MethodGet, "/sprints", h.apiSprints},
		{http.MethodPost, "/sprints", h.apiCreateSprint},
		{http.MethodGet, "/sprints/:sprint", h.apiSprint},
		{http.MethodPatch, "/sprints/:sprint", h.apiPatchSprint},
		{http.MethodDelete, "/sprints/:sprint", h.apiDeleteSprint},
		{http.MethodPost, "/sprints/:sprint/start", h.apiStartSprint},
		{http.MethodPost, "/sprints/:sprint/complete", h.apiCompleteSprint},
		{http.MethodPost, "/sprints/:sprint/reopen", h.apiReopenSprint},
		{http.MethodGet, "/sprints/:sprint/completion", h.apiSprintCompletion},
		{http.MethodGet, "/sprints/:sprint/report", h.apiSprintReport(false)},
		{http.MethodGet, "/sprints/:sprint/burndown", h.apiSprintReport(true)},
		{http.MethodGet, "/reports/velocity", h.apiVelocity},
		{http.MethodGet, "/reports/flow", h.apiFlow},
		{http.MethodGet, "/conflicts", h.apiConflicts},
		{http.MethodPost, "/conflicts/:seq", h.apiAnswerConflict},
		{http.MethodGet, "/activity", h.apiActivity},
		{http.MethodGet, "/events", h.apiEvents},
		{http.MethodGet, "/stream", h.apiStream},
	} {
		e.Add(r.method, apiPrefix+"/projects/:key"+r.path, r.handler, inProject...)
	}
}

// apiNotFound answers API paths no route takes: 405 with Allow when the path exists for
// other methods, 404 otherwise.
func apiNotFound(c echo.Context) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := c.Echo().NewContext(c.Request(), nil)
		c.Echo().Router().Find(m, c.Request().URL.Path, probe)
		if p := probe.Path(); p != "" && p != apiPrefix+"/*" && p != apiPrefix {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
	return echo.ErrMethodNotAllowed
}
