"""Inbound webhook events, recorded once per (source, event id) before they are processed."""
