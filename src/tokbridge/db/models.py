"""Imports every model module so `Base.metadata` is complete (Alembic, tests, create_all)."""

from tokbridge.activity import models as activity_models  # noqa: F401
from tokbridge.audit import models as audit_models  # noqa: F401
from tokbridge.billing import models as billing_models  # noqa: F401
from tokbridge.catalog import models as catalog_models  # noqa: F401
from tokbridge.category_templates import models as category_template_models  # noqa: F401
from tokbridge.channels import models as channel_models  # noqa: F401
from tokbridge.inbox import models as inbox_models  # noqa: F401
from tokbridge.jobs import models as job_models  # noqa: F401
from tokbridge.listings import models as listing_models  # noqa: F401
from tokbridge.notifications import models as notification_models  # noqa: F401
from tokbridge.orders import models as order_models  # noqa: F401
from tokbridge.tenancy import models as tenancy_models  # noqa: F401
