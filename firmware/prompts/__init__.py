"""System prompts: the catalogue of phrases, their rendered audio and the library that finds them by name.

See :mod:`firmware.prompts.library` (run time), :mod:`firmware.prompts.speech` (numbers, dates and times by
concatenation) and :mod:`firmware.prompts.render` (the offline build step).
"""
from firmware.prompts.library import PromptLibrary, PromptMissing, load_catalogue

__all__ = ["PromptLibrary", "PromptMissing", "load_catalogue"]
