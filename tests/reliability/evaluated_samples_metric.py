"""Test-only metric: how many validation samples were evaluated, and how many distinct images they were."""
from typing import List, Sequence

from mmengine.evaluator import BaseMetric

from adaptcls.registry import METRICS


@METRICS.register_module()
class EvaluatedSamples(BaseMetric):
    """Reports ``evaluated`` (results after mmengine gathered the ranks' results) and ``distinct_images``
    (distinct ``img_path`` among them): both equal the dataset size when every image counts exactly once."""

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(sample['img_path'] for sample in data_samples)  # the Evaluator passes dicts

    def compute_metrics(self, results: List[str]) -> dict:
        return dict(evaluated=len(results), distinct_images=len(set(results)))
