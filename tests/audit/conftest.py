from tests.pipeline.test_api import api  # noqa: F401  (fixture)
from tests.support.world import world_factory  # noqa: F401  (fixture)
