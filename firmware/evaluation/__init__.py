"""Measuring the detection pipeline against labelled recordings (``parkvakt eval``)."""
