"""The audit trail: who changed what on TikTok or in TokBridge's configuration, when, from what to what.
Recorded in the caller's transaction (`service.record`), so a change and its record commit together."""
