"""Scripts beside the commands: the synthetic set's writer and the benchmark."""
