"""One blueprint per area of the web UI (auth, dashboard, extensions, menus, schedule, greetings,
voicemail, call log, settings, simulation panel, JSON for live pages)."""
