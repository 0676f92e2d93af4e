"""The deployment benchmark: latency and throughput of PyTorch, ONNX Runtime and OpenVINO, model size."""
