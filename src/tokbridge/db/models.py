"""Imports every model module so `Base.metadata` is complete (Alembic, tests, create_all)."""

from tokbridge.activity import models as activity_models  # noqa: F401
from tokbridge.channels import models as channel_models  # noqa: F401
from tokbridge.inbox import models as inbox_models  # noqa: F401
from tokbridge.jobs import models as job_models  # noqa: F401
from tokbridge.tenancy import models as tenancy_models  # noqa: F401

try:  # the catalog arrives with its own migration
    from tokbridge.catalog import models as catalog_models  # noqa: F401
except ImportError:  # pragma: no cover
    pass
from tokbridge.category_templates import models as category_template_models  # noqa: F401
