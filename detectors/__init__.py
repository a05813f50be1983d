"""Detector-response plugins: truth and MiniBooNE."""
