"""Audio channels: what a port's 8 kHz int16 audio runs over (see :mod:`drivers.audio.base`)."""
from drivers.audio.base import (AudioChannel, ChannelCounters, FrameQueue, LoopbackChannel, MemoryChannel,
                                report_faults_to)

__all__ = ["AudioChannel", "ChannelCounters", "FrameQueue", "LoopbackChannel", "MemoryChannel", "report_faults_to"]
