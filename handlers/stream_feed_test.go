package handlers

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tack-pm/tack/store"
	"golang.org/x/crypto/bcrypt"
)

func TestStreamFeedWindow(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenWith(ctx, filepath.Join(t.TempDir(), "tack.db"), store.OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ana, err := st.UserByEmail(ctx, "ana@demo.tack")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := st.ProjectFor(ctx, ana.ID, "DEMO")
	if err != nil {
		t.Fatal(err)
	}
	commits := newCommitSignal(st)
	fs := commits.feeds
	fs.window = 4
	stored := func() []store.Event {
		t.Helper()
		events, err := st.ProjectEvents(ctx, p.ID, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		return events
	}
	create := func(n int) {
		t.Helper()
		for range n {
			if _, err := st.CreateTask(ctx, ana.ID, store.NewTask{ProjectID: p.ID, Title: "Feed task"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	update := func(f *streamFeed) {
		t.Helper()
		_, gen := commits.wait()
		if err := f.update(ctx, gen); err != nil {
			t.Fatal(err)
		}
	}
	seqs := func(frames []streamFrame) []int64 {
		var out []int64
		for _, f := range frames {
			out = append(out, f.seq)
		}
		return out
	}

	before := stored()
	head := before[len(before)-1].Seq
	_, gen := commits.wait()
	f := fs.join(p.ID, head, gen)
	if g := fs.join(p.ID, 0, 0); g != f {
		t.Fatal("a second stream of the project got a feed of its own")
	}
	create(10)
	update(f)
	update(f) // nothing new: no read
	if got := fs.sharedReads.Load(); got != 1 {
		t.Errorf("%d shared reads for one update, want 1", got)
	}
	all := stored()[len(before):]
	if len(all) != 10 {
		t.Fatalf("%d events for 10 new tasks, want 10", len(all))
	}
	if _, ok := f.since(head); ok {
		t.Error("since(head before the 10 events): the window of 4 claims to hold them all")
	}
	frames, ok := f.since(all[5].Seq)
	if want := []int64{all[6].Seq, all[7].Seq, all[8].Seq, all[9].Seq}; !ok || !slices.Equal(seqs(frames), want) {
		t.Errorf("since(6th new event) = %v, %v; want %v, true", seqs(frames), ok, want)
	}
	if frames, ok := f.since(all[9].Seq); !ok || len(frames) != 0 {
		t.Errorf("since(last) = %v, %v; want nothing, true", seqs(frames), ok)
	}

	create(1)
	update(f)
	last := stored()
	if frames, ok := f.since(all[9].Seq); !ok || len(frames) != 1 || frames[0].seq != last[len(last)-1].Seq {
		t.Errorf("after one more commit: since(previous last) = %v, %v; want [%d]", seqs(frames), ok, last[len(last)-1].Seq)
	}
	if got := fs.sharedReads.Load(); got != 2 {
		t.Errorf("%d shared reads for two commits read, want 2", got)
	}

	fs.leave(f)
	fs.leave(f)
	if len(fs.feeds) != 0 {
		t.Errorf("%d feeds after every stream left, want 0", len(fs.feeds))
	}
}
