"""The box's own TLS certificate, made on first start (browsers only allow the microphone on https).

:func:`ensure_certificate` returns ``(cert.pem, key.pem)`` under ``<data>/web/tls/``, creating a self-signed
ECDSA P-256 certificate valid for ten years for ``localhost``, the host name, ``<hostname>.local`` and the
loopback addresses, plus any names and addresses given. The key file is mode 0600 and written atomically.
An existing pair is reused, so the browser's "accept this certificate" lasts. It is not a CA.
"""
from __future__ import annotations

import ipaddress
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from webui.files import atomic_write


def ensure_certificate(tls_dir: Path, extra_names: Iterable[str] = ()) -> tuple[Path, Path]:
    """Make the self-signed pair if it is missing; return the paths."""
    tls_dir = Path(tls_dir)
    cert_path, key_path = tls_dir / "cert.pem", tls_dir / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname() or "switchboard"
    dns = sorted({"localhost", host, f"{host}.local", "switchboard.local",
                  *[n for n in extra_names if not _is_ip(n)]})
    ips = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"),
           *[ipaddress.ip_address(n) for n in extra_names if _is_ip(n)]}
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Switchboard phone box")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]
                                                       + [x509.IPAddress(i) for i in sorted(ips, key=str)]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    atomic_write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()), mode=0o600)
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert_path, key_path


def fingerprint(cert_path: Path) -> str | None:
    """SHA-256 fingerprint of the box's certificate (``AB:CD:…``), to check against the browser's; None if absent."""
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError):
        return None
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
