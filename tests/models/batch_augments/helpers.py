"""Sample builders shared by the batch augment tests."""
from typing import List

from adaptcls.structures import ClsDataSample


def labelled_samples(labels) -> List[ClsDataSample]:
    return [ClsDataSample().set_gt_label(label) for label in labels]
