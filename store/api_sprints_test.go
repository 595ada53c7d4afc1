package store

import "testing"

func TestSprintNumber(t *testing.T) {
	b := mustPlanning(t)
	first, second := b.sprint(t, "First"), b.sprint(t, "Second")
	if err := b.s.DeleteSprint(b.ctx, b.ben, second.ID, second.Version); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   string
		want int
		code string
	}{
		{first.ID, first.Number, ""},
		{second.ID, second.Number, ""}, // deleted: its number stays its own
		{"nosuchsprint", 0, ENOTFOUND},
	} {
		n, err := b.s.SprintNumber(b.ctx, c.id)
		if n != c.want || ErrorCode(err) != c.code {
			t.Errorf("SprintNumber(%s) = %d, %v; want %d, %q", c.id, n, err, c.want, c.code)
		}
	}
	if first.Number != 1 || second.Number != 2 {
		t.Errorf("numbers %d, %d", first.Number, second.Number)
	}
}
