"""Switchboard web UI: a Flask app that talks to the daemon only through the control API.

``create_app(test_config=None)`` builds the app (the Flask tutorial's factory pattern): one blueprint per
area under ``webui/views/``, security (first-run wizard, login with lockout, CSRF on every form, security
headers, upload limits) from ``webui.security``, and the daemon through ``webui.daemon.Daemon``.
It is served by waitress behind the box's own TLS front (``webui.serve``), never by Flask's dev server.
It never imports ``drivers/``.

Settings (``app.config``; ``test_config`` overrides any of them):

=================  ==========================================================================
DATA_DIR           the box's data folder (web state, prompts, backups); env SWITCHBOARD_DATA
CONFIG_PATH        the configuration file (used by the menu tester subprocess); env SWITCHBOARD_CONFIG
CONTROL            a control-API client object (tests pass ``FakeControl``)
CONTROL_SOCKET     else: the daemon's socket, opened with ``firmware.control.ControlClient``
MAX_AUDIO_UPLOAD   bytes accepted for one audio upload or recording (default 20 MB)
MAX_RESTORE_UPLOAD bytes accepted for a backup archive (default 1 GiB)
PASSWORD_HASHER    an ``argon2.PasswordHasher`` (tests pass a cheap one; the default is argon2id)
MENU_TESTER        False: do not run the menu tester beside the menu editor
CONFIG_CACHE_SECONDS  how long pages reuse the configuration they read (saves always check the revision)
=================  ==========================================================================
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Mapping

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from webui import security
from webui.daemon import Daemon, DaemonDown
from webui.live import LiveFeed
from webui.menutest import MenuTester
from webui.state import WebState

DEFAULT_DATA = "/var/lib/switchboard"
FORM_LIMIT = 1 * 1024 * 1024

# Navigation: (endpoint, label). The receptionist console plugs in here as one more blueprint.
NAV = [
    ("dashboard.index", "Dashboard"),
    ("extensions.index", "Extensions"),
    ("menus.index", "Menus"),
    ("schedule.index", "Schedule"),
    ("audio.index", "Greetings"),
    ("voicemail.index", "Voicemail"),
    ("calllog.index", "Call log"),
    ("settings.index", "Settings"),
]

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web UI app; ``test_config`` overrides the settings above."""
    app = Flask(__name__)
    app.config.update(
        DATA_DIR=os.environ.get("SWITCHBOARD_DATA", DEFAULT_DATA),
        CONFIG_PATH=os.environ.get("SWITCHBOARD_CONFIG"),
        CONTROL=None,
        CONTROL_SOCKET=os.environ.get("SWITCHBOARD_SOCKET"),
        MAX_AUDIO_UPLOAD=20 * 1024 * 1024,
        MAX_RESTORE_UPLOAD=1024 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=False,
        SESSION_COOKIE_NAME="switchboard_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        LOGIN_LIMITER=None,
        CONFIG_CACHE_SECONDS=1.0,
    )
    if test_config:
        app.config.update(test_config)
    state = WebState(app.config["DATA_DIR"], app.config.get("PASSWORD_HASHER"))
    app.config.setdefault("SECRET_KEY", None)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = state.secret_key()
    app.extensions["switchboard.state"] = state
    app.extensions["switchboard.daemon"] = Daemon(_control_client(app), app.config["CONFIG_CACHE_SECONDS"])
    app.extensions["switchboard.limiter"] = app.config["LOGIN_LIMITER"] or security.LoginLimiter()
    daemon = app.extensions["switchboard.daemon"]
    app.extensions["switchboard.live"] = LiveFeed(daemon.events, on_event=daemon.forget)
    app.extensions["switchboard.menutester"] = MenuTester(daemon)
    app.before_request(_upload_limit)  # before CSRF reads the body
    csrf.init_app(app)
    security.install(app)
    _register_blueprints(app)
    _register_errors(app)
    app.context_processor(lambda: {"nav": NAV, "sim_mode": _sim_mode})
    return app


def _control_client(app: Flask) -> Any:
    if app.config["CONTROL"] is not None:
        return app.config["CONTROL"]
    from firmware.control.client import ControlClient  # the control API client; imported lazily
    return ControlClient(app.config["CONTROL_SOCKET"]) if app.config["CONTROL_SOCKET"] else ControlClient()


def _register_blueprints(app: Flask) -> None:
    from webui.views import (api, audio, auth, calllog, dashboard, extensions, menus, schedule, settings,
                             sim, voicemail)
    for mod in (auth, dashboard, api, extensions, menus, schedule, audio, voicemail, calllog, settings, sim):
        app.register_blueprint(mod.bp)


def _upload_limit() -> None:
    """Per-area request body limits: small forms, bigger audio, biggest backup archives."""
    path = request.path
    if path.startswith("/settings/restore"):
        request.max_content_length = app_config("MAX_RESTORE_UPLOAD")
    elif path.startswith("/greetings/"):
        request.max_content_length = app_config("MAX_AUDIO_UPLOAD")
    else:
        request.max_content_length = FORM_LIMIT


def app_config(key: str) -> Any:
    from flask import current_app
    return current_app.config[key]


def _sim_mode() -> bool:
    """True when the daemon reports it runs the simulated office (cached per request)."""
    from webui.views.sim import daemon_is_simulated
    return daemon_is_simulated()


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError):
        return render_template("error.html", title="Form expired",
                               message="This form was sent without a valid security token (it may have "
                                       "expired). Go back, reload the page and try again."), 400

    @app.errorhandler(413)
    def _too_large(e):
        return render_template("error.html", title="File too large",
                               message="That file is larger than the box accepts here. Use a shorter "
                                       "recording or a smaller file."), 413

    @app.errorhandler(DaemonDown)
    def _down(e: DaemonDown):
        return render_template("error.html", title="Phone system not answering", message=str(e)), 503

    @app.errorhandler(404)
    def _missing(e):
        return render_template("error.html", title="Not found",
                               message="There is no such page or item."), 404
