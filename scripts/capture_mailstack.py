"""Capture what a real Postfix + OpenDKIM + OpenDMARC writes on mail to the province, for the
trust tests (``tests/data/mailstack/*.eml``, read by ``tests/test_mailstack_headers.py``).

The stack is built on loopback the way an office's mail exchanger is: Postfix (myhostname
``mail.laichau.gov.vn``) receiving on a private port and delivering to a Maildir, OpenDKIM
(verify) and OpenDMARC as its milters, in that order; both resolve through a small DNS server
on 127.0.0.1 that holds the units' DKIM keys, SPF and DMARC records (they run in a mount
namespace whose /etc/resolv.conf names it). Each scenario is sent over SMTP from 127.0.0.1 and
the delivered file is kept unchanged, twice: with the packages' defaults ("packaged") and with
the settings the README gives ("hardened": OpenDKIM ``RemoveARAll yes`` with ``RemoveARFrom``
naming our id, OpenDMARC ``SPFIgnoreResults true``).

    sudo .venv/bin/pip install dnspython dkimpy        # only this script needs them
    sudo apt-get install postfix opendkim opendmarc
    sudo .venv/bin/python scripts/capture_mailstack.py [--out tests/data/mailstack]

Needs root (Postfix, port 53, mount namespaces). Every process it starts is stopped at exit.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import grp
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import dkim
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from servers import free_port, wait_port  # noqa: E402  (the test fixtures' own)

OURS = "mail.laichau.gov.vn"
SELECTOR = "mail"
PROCS: list[subprocess.Popen[bytes]] = []
POSTFIX: list[Path] = []                # config folders of Postfix instances started


def _stop_all() -> None:
    for etc in POSTFIX:                 # its master leaves the process group: ask it
        subprocess.run(["postfix", "-c", str(etc), "stop"], capture_output=True, timeout=30)
    for p in PROCS:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in PROCS:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


atexit.register(_stop_all)


# -- keys and DNS ------------------------------------------------------------------------------

def new_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


class Dns(threading.Thread):
    """TXT records from ``zone``; every other question: NXDOMAIN."""

    def __init__(self, zone: dict[str, list[str]]):
        super().__init__(daemon=True)
        self.zone = {k.lower().rstrip(".") + ".": v for k, v in zone.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))

    def run(self) -> None:
        while True:
            data, peer = self.sock.recvfrom(4096)
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - not DNS: ignore
                continue
            reply = dns.message.make_response(query)
            q = query.question[0]
            texts = self.zone.get(q.name.to_text().lower())
            if texts and q.rdtype == dns.rdatatype.TXT:
                def quoted(t: str) -> str:
                    chunks = [t[i:i + 250] for i in range(0, len(t), 250)]
                    return " ".join('"' + c.replace('"', '\\"') + '"' for c in chunks)

                reply.answer.append(dns.rrset.from_text(q.name, 60, "IN", "TXT",
                                                        *[quoted(t) for t in texts]))
            elif not texts and not any(k.endswith("." + q.name.to_text().lower())
                                       for k in self.zone):
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)


# -- the stack ---------------------------------------------------------------------------------

def in_namespace(resolv: Path, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """``argv`` in a mount namespace whose /etc/resolv.conf is ``resolv``."""
    cmd = ["unshare", "-m", "sh", "-c",
           f'mount --bind {resolv} /etc/resolv.conf && exec "$@"', "sh", *argv]
    p = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                         start_new_session=True)
    PROCS.append(p)
    return p


def milters(base: Path, resolv: Path, hardened: bool) -> tuple[int, int]:
    """OpenDKIM and OpenDMARC with Debian's packaged settings (/etc/opendkim.conf,
    /etc/opendmarc.conf and the built-in defaults), on loopback ports; ``hardened`` adds what
    the README gives. OpenDKIM resolves with libunbound, which reads no resolv.conf: it is
    pointed at the test DNS with ``Nameservers`` (and without the packaged DNSSEC trust
    anchor, which the test zone cannot satisfy)."""
    dkim_port, dmarc_port = free_port(), free_port()
    (base / "opendkim.conf").write_text(
        f"Socket inet:{dkim_port}@127.0.0.1\nAuthservID {OURS}\nBackground no\nSyslog no\n"
        f"PidFile {base}/opendkim.pid\nUserID opendkim\nCanonicalization relaxed/simple\n"
        f"OversignHeaders From\nNameservers 127.0.0.1\n"
        + (f"RemoveARAll yes\nRemoveARFrom {OURS}\n" if hardened else ""))
    (base / "opendmarc.conf").write_text(
        f"Socket inet:{dmarc_port}@127.0.0.1\nAuthservID {OURS}\nTrustedAuthservIDs {OURS}\n"
        f"Background no\nSyslog false\nPidFile {base}/opendmarc.pid\nUserID opendmarc\n"
        "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
        + ("SPFSelfValidate true\nSPFIgnoreResults true\n" if hardened else ""))
    in_namespace(resolv, ["opendkim", "-f", "-x", str(base / "opendkim.conf")],
                 base / "opendkim.log")
    in_namespace(resolv, ["opendmarc", "-f", "-c", str(base / "opendmarc.conf")],
                 base / "opendmarc.log")
    wait_port(dkim_port)
    wait_port(dmarc_port)
    return dkim_port, dmarc_port


def postfix(base: Path, dkim_port: int, dmarc_port: int) -> tuple[int, Path]:
    etc, spool, data, mail = base / "etc", base / "spool", base / "data", base / "mail"
    for d in (etc, spool, data, mail):
        d.mkdir(parents=True)
    uid, gid = pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postfix").gr_gid
    os.chown(data, uid, gid)
    os.chown(mail, uid, gid)
    port = free_port()
    (etc / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {spool}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = {OURS}
mydomain = laichau.gov.vn
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_authorized_xclient_hosts = 127.0.0.1
virtual_mailbox_domains = laichau.gov.vn
virtual_mailbox_base = {mail}
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
smtpd_milters = inet:127.0.0.1:{dkim_port}, inet:127.0.0.1:{dmarc_port}
milter_default_action = tempfail
alias_maps =
alias_database =
maillog_file = /dev/stdout
smtputf8_enable = no
""")
    master = Path("/etc/postfix/master.cf").read_text().splitlines()
    out = []
    for line in master:
        fields = line.split()
        if len(fields) >= 8 and not line.startswith((" ", "#", "\t")):
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = f"127.0.0.1:{port}"
            fields[4] = "n"                     # no chroot: the spool is ours
            line = "  ".join(fields[:8]) + ("  " + " ".join(fields[8:]) if fields[8:] else "")
        out.append(line)
    (etc / "master.cf").write_text("\n".join(out) + "\n")
    subprocess.run(["postfix", "-c", str(etc), "set-permissions"], check=False,
                   capture_output=True)
    POSTFIX.append(etc)
    p = subprocess.Popen(["postfix", "-c", str(etc), "start-fg"], stdout=(base / "postfix.log")
                         .open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    PROCS.append(p)
    wait_port(port)
    return port, mail / "inbox"


# -- scenarios ---------------------------------------------------------------------------------

FORGED = f"{OURS}; spf=pass smtp.mailfrom=soyt.laichau.gov.vn"   # what a forger writes


UNITS_SERVER, ELSEWHERE = "203.0.113.25", "198.51.100.66"     # SPF allows the first only


def scenarios(keys: dict[str, bytes]) -> list[tuple[str, str, str, bytes]]:
    """(name, client address, envelope sender, message bytes): each as it reaches our MX,
    from a unit's own server or from elsewhere (Postfix is told the address by XCLIENT)."""
    def mail(frm: str, subject: str, sign_as: str | None = None, forged: bool = False,
             envelope: str | None = None) -> tuple[str, bytes]:
        m = EmailMessage()
        if forged:
            m["Authentication-Results"] = FORGED
        m["From"] = frm
        m["To"] = "vanthu@laichau.gov.vn"
        m["Subject"] = subject
        m["Date"] = format_datetime(datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc))
        m["Message-ID"] = make_msgid(domain="example.invalid")
        m.set_content("Kính gửi Văn phòng UBND tỉnh,\nSở gửi báo cáo theo Văn bản số 760/UBND-TH.\n")
        raw = m.as_bytes(policy=m.policy.clone(linesep="\r\n"))
        if sign_as:
            sig = dkim.sign(raw, SELECTOR.encode(), sign_as.encode(), keys[sign_as],
                            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
            raw = sig + raw
        return envelope or frm.split("<")[-1].rstrip(">").split(",")[0].strip(), raw

    return [
        # a unit's domain with DKIM and a DMARC record: dkim=pass, dmarc=pass
        ("dkim-dmarc-pass", UNITS_SERVER, *mail("Sở Y tế <vanthu@soyt.laichau.gov.vn>",
                                                "Báo cáo 760", sign_as="soyt.laichau.gov.vn")),
        # a commune's domain with a DKIM key and no DMARC record anywhere: dmarc=none on top
        ("no-dmarc-record", UNITS_SERVER, *mail("UBND xã <vanthu@xa-mt.dienbien.gov.vn>",
                                                "Báo cáo 760", sign_as="xa-mt.dienbien.gov.vn")),
        # not signed, from a host SPF does not allow, with a forged SPF result under our id
        ("forged-results", ELSEWHERE, *mail("Sở Y tế <vanthu@soyt.laichau.gov.vn>",
                                            "Báo cáo 760", forged=True)),
        # one department's key used for another's From (relaxed alignment passes DMARC)
        ("another-units-key", UNITS_SERVER, *mail("Sở Tài chính <vanthu@sotc.laichau.gov.vn>",
                                                  "Báo cáo 760", sign_as="soyt.laichau.gov.vn",
                                                  envelope="vanthu@soyt.laichau.gov.vn")),
        # two From addresses of different domains
        ("two-from", UNITS_SERVER, *mail("vanthu@soyt.laichau.gov.vn, someone@example.com",
                                         "Báo cáo 760", sign_as="soyt.laichau.gov.vn",
                                         envelope="vanthu@soyt.laichau.gov.vn")),
    ]


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    keys, zone = {}, {}
    for domain in ("soyt.laichau.gov.vn", "xa-mt.dienbien.gov.vn"):
        private, public = new_key()
        keys[domain] = private
        zone[f"{SELECTOR}._domainkey.{domain}"] = [f"v=DKIM1; k=rsa; p={public}"]
    # SPF: each unit's mail leaves from its server; DMARC: the province's organisational
    # domain publishes a relaxed policy, the other province none
    for domain in ("soyt.laichau.gov.vn", "sotc.laichau.gov.vn", "xa-mt.dienbien.gov.vn"):
        zone[domain] = [f"v=spf1 ip4:{UNITS_SERVER} -all"]
    zone["_dmarc.laichau.gov.vn"] = ["v=DMARC1; p=quarantine; adkim=r; aspf=r"]
    Dns(zone).start()
    for config in ("packaged", "hardened"):
        base = Path(tempfile.mkdtemp(prefix=f"mailstack-{config}-"))
        os.chmod(base, 0o755)
        resolv = base / "resolv.conf"
        resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        dkim_port, dmarc_port = milters(base, resolv, hardened=config == "hardened")
        port, inbox = postfix(base, dkim_port, dmarc_port)
        for name, client, sender, raw in scenarios(keys):
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.ehlo("mx.unit.example")
                code, text = smtp.docmd("XCLIENT", f"ADDR={client} NAME=[UNAVAILABLE]")
                if code != 220:
                    sys.exit(f"XCLIENT refused: {code} {text!r}")
                smtp.ehlo("mx.unit.example")
                smtp.sendmail(sender, ["vanthu@laichau.gov.vn"], raw)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                got = sorted((inbox / "new").glob("*")) if (inbox / "new").exists() else []
                if got:
                    break
                time.sleep(0.2)
            else:
                sys.exit(f"{config}/{name}: not delivered; see {base}/postfix.log")
            target = out / f"{name}.{config}.eml"
            shutil.copyfile(got[0], target)
            got[0].unlink()
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        _stop_all()
        PROCS.clear()
        POSTFIX.clear()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "mailstack")
    run(ap.parse_args().out)
