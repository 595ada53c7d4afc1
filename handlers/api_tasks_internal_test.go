package handlers

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestWithMembers checks that the members written after a task's fields make one JSON
// object equal to the task's fields and the members together, whatever their values.
func TestWithMembers(t *testing.T) {
	tests := []struct {
		name    string
		obj     string
		members map[string]any
		want    string
	}{
		{"outcome", `{"id":"t1","version":3}`, map[string]any{"merged": []string{}, "applied": []string{"column_id"}},
			`{"id":"t1","version":3,"applied":["column_id"],"merged":[]}`},
		{"empty object", `{}`, map[string]any{"answered": "mine"}, `{"answered":"mine"}`},
		{"no members", `{"id":"t1"}`, map[string]any{}, `{"id":"t1"}`},
		{"names and values escaped", `{"a":1}`, map[string]any{`q"uote`: "<b>\u2028", "n": nil}, `{"a":1,"n":null,"q\"uote":"\u003cb\u003e\u2028"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withMembers([]byte(tt.obj), tt.members)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			var a, b map[string]any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("not JSON: %s: %v", got, err)
			}
			json.Unmarshal([]byte(tt.want), &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("decoded %v, want %v", a, b)
			}
		})
	}
	if _, err := withMembers([]byte(`{}`), map[string]any{"bad": make(chan int)}); err == nil {
		t.Error("an unencodable member gave no error")
	}
}
