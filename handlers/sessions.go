package handlers

import (
	"fmt"

	"github.com/alexedwards/scs/v2"

	"github.com/tack-pm/tack/store"
)

// EndSessions signs the user out everywhere: it deletes every session in the store's
// database (where scs keeps table sessions) that belongs to userID, and returns
// how many it ended. A password reset calls it, so that whoever knew the old password
// loses the sessions they opened with it.
//
// scs keeps a session's values gob-encoded, so each session is decoded to find its
// user; with one row per signed-in browser this stays a small scan. A request of that
// user already in flight when this runs may still save its session back.
func EndSessions(st *store.Store, userID string) (int, error) {
	// A cleanup interval of 0 starts no background goroutine.
	sessions := st.Sessions(0)
	all, err := sessions.All()
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	ended := 0
	for token, b := range all {
		_, values, err := scs.GobCodec{}.Decode(b)
		if err != nil {
			continue // not a session this build wrote; it cannot sign anyone in either
		}
		if id, _ := values[sessionUserKey].(string); id != userID {
			continue
		}
		if err := sessions.Delete(token); err != nil {
			return ended, fmt.Errorf("end sessions: %w", err)
		}
		ended++
	}
	return ended, nil
}
