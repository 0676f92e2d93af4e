"""Running an exported IR: the IR classifier (OpenVINO, numpy and Pillow only), its metadata, evaluation."""
