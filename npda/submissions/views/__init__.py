"""The submission pages: uploads and their drafts, a unit's versions, year-end sign-off and the
data-quality report. Views only parse input, call one service or selector, and render."""
