"""TikTok listings of catalog products: the bindings (local product <-> TikTok product id), their
dashboard statuses, uploads, status sync, activation and continuous sync."""
