"""Shopify: the production adapter behind `tokbridge.channels.base.SourceStore`."""
