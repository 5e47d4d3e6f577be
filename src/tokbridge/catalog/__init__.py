"""The merchant's catalog as read from their store: products, variants, options, images, stock."""
