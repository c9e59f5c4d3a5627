"""Frame sources: MLX90640 over UART, picamera2, recordings, and the mounting correction."""
