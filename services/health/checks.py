"""The one list of health checks, in display order.

Adding a check: write ``services/<capability>/<name>_check.py`` with an
``async def check_x(ctx: CheckContext) -> CheckResult`` and add one ``Check(...)`` line here.
"""

from __future__ import annotations

from services.health import dns, iot_check, stack_check, tls, unit_check, web
from services.health.check import Check
from services.host import ssh_check

CHECKS: tuple[Check, ...] = (
    Check("stack", stack_check.check_stack, 1.0),
    Check("dns", dns.check, lambda p: p.dns.timeout * 3 + 1),
    Check("tls", tls.check, lambda p: p.tls.timeout * 2 + 1),
    Check("https", web.check_https, lambda p: p.tls.timeout * 2 + 1),
    Check("plaintext", web.check_plaintext, lambda p: p.tls.timeout + 1),
    Check("ssh", ssh_check.check_ssh, lambda p: p.ssh.connect_timeout + 1 + ssh_check.DOCTOR_SECONDS),
    Check("service", unit_check.check_service, lambda p: p.ssh.connect_timeout + 10.0),
    Check("iot", iot_check.check_iot, iot_check.LISTEN_SECONDS + 20.0),
)
