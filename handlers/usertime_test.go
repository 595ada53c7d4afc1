package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestUserLocation(t *testing.T) {
	tests := []struct {
		cookie string // "" = none
		want   string
	}{
		{"", "UTC"},
		{"Europe%2FBerlin", "Europe/Berlin"},
		{"America/New_York", "America/New_York"},
		{"Mars%2FOlympus", "UTC"},
		{"%zz", "UTC"},
		{"../../etc/passwd", "UTC"},
	}
	e := echo.New()
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.cookie != "" {
			req.AddCookie(&http.Cookie{Name: tzCookie, Value: tt.cookie})
		}
		c := e.NewContext(req, httptest.NewRecorder())
		if got := userLocation(c).String(); got != tt.want {
			t.Errorf("cookie %q: location %s, want %s", tt.cookie, got, tt.want)
		}
		if got, want := userToday(c), time.Now().In(userLocation(c)).Format(time.DateOnly); got != want {
			t.Errorf("cookie %q: today %s, want %s", tt.cookie, got, want)
		}
	}
}
