"""The files ``tools/deploy.py export`` writes into its output folder."""
ONNX_FILE = 'model.onnx'
"""ONNX model: normalised (N, 3, H, W) float32 in, logits out."""
IR_FILE = 'model.xml'
"""FP32 OpenVINO IR (weights in model.bin): raw u8 NHWC RGB in, probabilities out."""
INT8_IR_FILE = 'model_int8.xml'
"""NNCF INT8 OpenVINO IR (weights in model_int8.bin), same inputs and outputs."""
EXPORT_JSON = 'export.json'
"""Labels, preprocessing, source checkpoint, complexity and verification figures."""
EXPORT_FILES = (ONNX_FILE, IR_FILE, 'model.bin', INT8_IR_FILE, 'model_int8.bin', EXPORT_JSON)
"""Every file an export may write; stale ones from an earlier export into the same folder are removed."""
