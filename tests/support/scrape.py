"""Reading Prometheus's text format the way Prometheus does (prometheus_client's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, its labels): value} of one scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value; 0 when the scrape has none (a counter not counted yet)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def counted() -> str:
    """What this process counted (kit/metrics.py), as `/metrics` shows it without a shared directory."""
    from tokbridge.kit.metrics import exposition

    return exposition(None).decode()
