"""INT8 post-training quantization of the IR with NNCF."""
import gc

import numpy as np

from adaptcls.utils.signal_stack import repair_alternate_stack
from ..dependencies import require


def quantize_ir(model, calibration_images: np.ndarray):
    """Quantizes an adaptcls IR to INT8 with ``nncf.quantize`` (NNCF's default post-training
    quantization: MinMax statistics on the calibration images, then bias correction).

    The IR's own u8 NHWC preprocessing stays in the graph, so calibration feeds raw images;
    rt_info is kept (the caller updates ``precision``).

    Args:
        model (openvino.Model): the FP32 IR from :func:`~adaptcls.deployment.export.openvino_ir.build_ir`.
        calibration_images (np.ndarray): (N, H, W, 3) uint8 images; all N are used, one per step.

    Returns:
        openvino.Model: the INT8 model.
    """
    nncf = require('nncf')
    samples = [image[None] for image in calibration_images]
    quantized = nncf.quantize(model, nncf.Dataset(samples), subset_size=len(samples))
    gc.collect()  # NNCF's own OpenVINO Cores go now, not at a random later time ...
    repair_alternate_stack()  # ... and a signal stack they may leave freed is replaced (adaptcls/utils/signal_stack.py)
    return quantized
