"""The call engine: ports, legs, calls, bridges, applications and the media tick (see ``core``)."""
from firmware.engine.audio import (ArraySource, BufferSink, Concat, SilenceSource, ToneSource, load_wav,
                                   wav_source)
from firmware.engine.bridge import Bridge, Mixer
from firmware.engine.bus import BusEvent, EventBus
from firmware.engine.core import Call, Engine
from firmware.engine.leg import Leg, LegHungUp, RecordResult
from firmware.engine.media import MediaTick
from firmware.engine.prompts import (ChainPromptLibrary, DirectoryPromptLibrary, MemoryPromptLibrary,
                                     PromptLibrary, PromptMissing)

__all__ = ["ArraySource", "BufferSink", "Bridge", "BusEvent", "Call", "ChainPromptLibrary", "Concat",
           "DirectoryPromptLibrary", "Engine", "EventBus", "Leg", "LegHungUp", "MediaTick",
           "MemoryPromptLibrary", "Mixer", "PromptLibrary", "PromptMissing", "RecordResult",
           "SilenceSource", "ToneSource", "load_wav", "wav_source"]
