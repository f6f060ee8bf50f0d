"""Pure signal processing on 8 kHz int16 numpy blocks: levels and G.711, tone generation, DTMF,
call-progress tones, caller ID, RFC 4733 event codes.

What it is: streaming detectors and generators with no I/O, no threads and no clock — time is counted in
samples fed. What it is not: a driver; ports own the audio and decide what events mean.
Modules: :mod:`~drivers.dsp.levels`, :mod:`~drivers.dsp.tones`, :mod:`~drivers.dsp.dtmf`,
:mod:`~drivers.dsp.progress`, :mod:`~drivers.dsp.callerid` (with :mod:`~drivers.dsp.fsk`),
:mod:`~drivers.dsp.alert` (DT-AS / CAS), :mod:`~drivers.dsp.talkoff`, :mod:`~drivers.dsp.rfc4733`.
Design and measurements: docs/dsp.md.
"""
