"""Voicemail: mailboxes, messages, greetings, PINs, message waiting and e-mail.

Storage and policy: :mod:`~firmware.voicemail.mailbox` (the :class:`Voicemail` service),
:mod:`~firmware.voicemail.index` (SQLite), :mod:`~firmware.voicemail.recorder` (safe writing),
:mod:`~firmware.voicemail.pins` (PIN rules and lockout), :mod:`~firmware.voicemail.mail` (SMTP).
Phone dialogues (applications on a leg): :mod:`~firmware.voicemail.deposit` ("voicemail") and
:mod:`~firmware.voicemail.retrieve` ("vm_login").
"""
