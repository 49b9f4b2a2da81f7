"""Which OneRoster versions a provider serves to the checker: each whose rostering orgs answer 200."""

from __future__ import annotations

from dataclasses import dataclass, field

from rosterlab.conformance.model import CouldNotRun, Failed
from rosterlab.conformance.transport import NoCredentials, Transport
from rosterlab.spec.endpoints import base_path, operation

VERSIONS = ("1.2", "1.1")


@dataclass
class Served:
    """The versions that answered, and what the others answered (why they are not checked)."""

    versions: list[str] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)
    credentials: str = ""  # why there are no credentials to send (a token refused), when that is the case

    def problem(self) -> str | None:
        """Why nothing can be checked, or None."""
        if self.versions:
            return None
        if self.credentials:
            return self.credentials
        said = "; ".join(f"{version}: {answer}" for version, answer in self.others.items())
        return f"neither OneRoster 1.2 nor 1.1 answers ({said})"


def served_versions(transport: Transport, root: str, versions: tuple[str, ...] = VERSIONS) -> Served:
    """Ask each version's orgs once (limit 1)."""
    op = operation("getAllOrgs")
    served = Served()
    for version in versions:
        url = root + base_path(version, op.service()) + op.path
        try:
            exchange = transport.send("GET", url, params={"limit": "1"})
        except NoCredentials as error:
            served.credentials = str(error)
            break
        except (CouldNotRun, Failed) as error:
            served.others[version] = str(error)
            continue
        if exchange.status == 200:
            served.versions.append(version)
        else:
            said = exchange.said()
            served.others[version] = f"HTTP {exchange.status}" + (f" ({said})" if said else "")
    return served
