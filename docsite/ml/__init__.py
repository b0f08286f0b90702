"""The shared model layer: embedders and the per-process model runtime.

Both the summaries and the interests apps get their encoders here, so one
process loads each model once.
"""
