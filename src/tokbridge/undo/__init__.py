"""Undo of a change set from the audit trail: a preview (which products, what goes back, what changed
since), then a job that puts the earlier values back on TikTok, itself recorded as a change set."""
