package handlers

// StreamReads returns the store reads API event streams have made so far: the shared
// reads of the projects' feeds, and the reads streams made alone to catch up.
func (h *Handler) StreamReads() (shared, gap int64) {
	fs := h.commits.feeds
	return fs.sharedReads.Load(), fs.gapReads.Load()
}

// SetStreamWindow sets how many events each project's feed keeps, before any stream opens.
func (h *Handler) SetStreamWindow(n int) { h.commits.feeds.window = n }
