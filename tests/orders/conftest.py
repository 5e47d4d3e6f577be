from tests.support.world import world_factory  # noqa: F401  (fixture)
