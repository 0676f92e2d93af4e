"""Export: a trained checkpoint -> ONNX and OpenVINO IR (FP32, INT8), each checked against PyTorch."""
