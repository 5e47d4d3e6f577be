"""Category templates: which store products go to which TikTok category, and how they are mapped.

- `rules`: product selection (SQL for counts and assignment, Python for one product; they agree)
- `pricing`, `inventory`: the price and stock rules
- `spec`: the validated template shape; `models`: its tables; `repository`: every query
- `mapper`: catalog product + template -> TikTok `ProductInput` (pure), with content hashes
- `validation`: a mapped product against the category and TikTok's documented limits
- `categories`: what the connector knows of a TikTok category (attributes, rules, tree)
- `service`: the use-cases the web layer and the upload job call
"""
