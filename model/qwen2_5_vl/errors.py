"""Errors for checkpoints that cannot be used as they are (torch-free, so the tokenizer can raise them)."""

from __future__ import annotations


class CheckpointError(ValueError):
    """The checkpoint cannot be used as it is: wrong format, corrupt file, missing / unexpected /
    mis-shaped tensors, a file outside the checkpoint folder. The message is one line naming the file."""


class ConfigError(CheckpointError):
    """config.json holds a value the model cannot be built from; the message names the field."""
