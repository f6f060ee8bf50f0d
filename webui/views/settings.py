"""Settings: office (name, country, time zone), board profile, e-mail (SMTP) for voicemail, the admin
password, and backup / restore of the whole box (``webui.backup``).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for

from webui import backup
from webui.choices import BOARD_PROFILES, COUNTRIES, timezones
from webui.daemon import Refused, StaleConfig
from webui.files import BadInput
from webui.tls import fingerprint
from webui.views.common import apply_office, daemon, save_config, web_state

bp = Blueprint("settings", __name__, url_prefix="/settings")
HOST_RE = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
PROFILE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")


@bp.route("/", methods=["GET", "POST"])
def index():
    errors: list = []
    if request.method == "POST":
        saved, errors = save_config(lambda doc: _apply(doc, request.form), "Settings saved.")
        if saved:
            return redirect(url_for("settings.index"))
    return _page(errors, request.form if errors else None), 400 if errors else 200


def _page(errors: list, form, restore_errors: list | None = None):
    revision, doc = daemon().config()
    cert = fingerprint(web_state().tls_dir / "cert.pem")
    return render_template("settings.html", doc=doc, revision=revision, errors=errors, form=form, cert=cert,
                           restore_errors=restore_errors or [], countries=COUNTRIES, timezones=timezones(),
                           profiles=BOARD_PROFILES, title="Settings")


def _apply(doc: dict, form) -> list:
    errors: list = []
    apply_office(doc, form, errors)
    profile = form.get("profile", "").strip()
    if not PROFILE_RE.match(profile):
        errors.append(("Board profile", "Choose the board this box is."))
    doc.setdefault("board", {})["profile"] = profile
    errors += _apply_smtp(doc, form)
    return errors


def _apply_smtp(doc: dict, form) -> list:
    vm = doc.setdefault("voicemail", {})
    host = form.get("smtp_host", "").strip()
    if not host:
        vm.pop("smtp", None)
        return []
    errors = []
    if not HOST_RE.match(host):
        errors.append(("Mail server", "Give a host name such as mail.example.com."))
    smtp = vm.get("smtp") or {}
    smtp["host"] = host
    port = form.get("smtp_port", "587").strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        errors.append(("Mail server port", "Give a port number such as 587."))
    else:
        smtp["port"] = int(port)
    security = form.get("smtp_security", "starttls")
    if security not in ("starttls", "tls", "none"):
        errors.append(("Mail security", "Choose STARTTLS, TLS or none."))
    smtp["security"] = security
    for key in ("username", "sender"):
        value = form.get(f"smtp_{key}", "").strip()
        if value:
            smtp[key] = value
        else:
            smtp.pop(key, None)
    if smtp.get("sender") and not EMAIL_RE.match(smtp["sender"]):
        errors.append(("Sender address", "That does not look like an e-mail address."))
    if form.get("smtp_password"):
        smtp["password"] = form["smtp_password"]
    smtp["attach_audio"] = bool(form.get("smtp_attach_audio"))
    vm["smtp"] = smtp
    return errors


@bp.post("/password")
def password():
    old, new, again = (request.form.get(k, "") for k in ("old", "new", "again"))
    if new != again:
        flash("The two new passwords are not the same; the password was not changed.", "error")
    else:
        try:
            if web_state().change_password(old, new):
                flash("The admin password is changed.", "ok")
            else:
                flash("The current password is not right; the password was not changed.", "error")
        except ValueError as exc:
            flash(f"{exc} The password was not changed.", "error")
    return redirect(url_for("settings.index"))


@bp.get("/backup")
def download_backup():
    _, doc = daemon().config()
    data_dir = Path(current_app.config["DATA_DIR"])
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024, dir=data_dir)
    backup.create(data_dir, doc, spool)
    spool.seek(0)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return send_file(spool, mimetype="application/gzip", as_attachment=True,
                     download_name=f"switchboard-backup-{stamp}.tar.gz")


@bp.post("/restore")
def restore():
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return _page([], None, [("", "Choose a backup archive (.tar.gz) to restore.")]), 400
    data_dir = Path(current_app.config["DATA_DIR"])
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tar.gz", dir=data_dir)
    staging = None
    try:
        with open(fd, "wb") as fh:
            shutil.copyfileobj(upload.stream, fh)
        archive = backup.open_checked(Path(tmp))
        revision, current = daemon().config()
        _check_version(archive, current)
        _validate(archive.doc)
        staging = backup.stage(archive, data_dir)
        daemon().put_config(archive.doc, revision)
        left = backup.install_staged(staging, data_dir)
        _restore_databases(staging, left, data_dir)
    except BadInput as exc:
        return _page([], None, [("", f"Nothing was restored. {exc}")]), 400
    except (StaleConfig, Refused) as exc:
        errs = getattr(exc, "errors", None) or [("", str(exc))]
        return _page([], None, [("", "Nothing was restored: the daemon refused the configuration.")] + errs), 400
    finally:
        Path(tmp).unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    flash("The backup is restored.", "ok")
    return redirect(url_for("settings.index"))


def _check_version(archive: backup.Archive, current: dict) -> None:
    theirs, ours = archive.doc.get("schema_version"), current.get("schema_version")
    if isinstance(theirs, int) and isinstance(ours, int) and theirs > ours:
        raise BadInput(f"The archive was made by a newer Switchboard (configuration version {theirs}; this "
                       f"box has {ours}). Update this box first.")


def _validate(doc: dict) -> None:
    problems = daemon().validate(doc)
    if problems:
        where = f"{problems[0][0]}: {problems[0][1]}"
        raise BadInput(f"The configuration in the archive is not valid ({len(problems)} problems; first: {where}).")


def _restore_databases(staging: Path, names: list[str], data_dir: Path) -> None:
    """Databases are the daemon's: it swaps them in; if it cannot, they are kept aside and the owner told."""
    for name in names:
        pending = data_dir / "restore-pending" / name
        pending.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / name), pending)
        try:
            daemon().call("store.restore", path=str(pending))
        except Exception:
            flash(f"The call log and message list ({name}) were not replaced while the phone system runs; "
                  f"the archive's copy is kept in restore-pending/.", "error")
