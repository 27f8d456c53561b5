"""The database model of a congress count (typed SQLAlchemy 2.0), one module per area.

Organisation -> Congress (exclusions, count committee) -> Election (candidates)
-> Round (the candidates on its list, numbers present/issued) -> Ballot (one row per entered
paper, per entry pass) and ResultVersion (each finalisation). AuditEntry is the append-only,
hash-chained log; ScanImage and Adjudication hold scanner readings and the committee's rulings.

Counting is never done here: ``Round.to_election()`` and ``Round.engine_ballots()`` feed
``kiemphieu.tally``, the only implementation of the rules.

Modules: ``common`` (enums, helpers), ``organisations`` (organisations, users, roles),
``congress`` (congress, election, candidates, rounds, result versions), ``ballots``,
``scanning``, ``audit``, ``jobs`` (generated documents). Every name is re-exported here: ``from kiemphieu.models import X``.
"""

from ..extensions import db
from .audit import AUDIT_TRIGGERS_SQLITE, AppendOnlyError, AuditEntry, AuditHead
from .ballots import Ballot
from .common import (
    BODY_LABELS,
    COMMITTEE_ROLES,
    KIND_LABELS,
    KINDS_NEEDING_SURPLUS,
    ROLE_LABELS,
    CongressKind,
    EntryMode,
    EntryPass,
    Role,
    RoundStatus,
    ScanStatus,
    count_rows,
    name_key,
    new_session_token,
    utcnow,
)
from .congress import (
    Candidate,
    Congress,
    CountCommitteeMember,
    Election,
    Exclusion,
    ResultVersion,
    Round,
    RoundCandidate,
)
from .jobs import Job, JobStatus
from .organisations import (
    ORGANISATION_LEVEL_LABELS,
    CongressAssignment,
    LoginThrottle,
    Organisation,
    OrganisationGrant,
    OrganisationLevel,
    User,
)
from .scanning import Adjudication, ScanImage

__all__ = [
    "AUDIT_TRIGGERS_SQLITE", "BODY_LABELS", "COMMITTEE_ROLES", "KINDS_NEEDING_SURPLUS", "KIND_LABELS",
    "ORGANISATION_LEVEL_LABELS", "ROLE_LABELS", "Adjudication", "AppendOnlyError", "AuditEntry",
    "AuditHead", "Ballot", "Candidate", "Congress", "CongressAssignment", "CongressKind",
    "CountCommitteeMember", "Election", "EntryMode", "EntryPass", "Exclusion", "LoginThrottle",
    "Job", "JobStatus", "Organisation", "OrganisationGrant", "OrganisationLevel", "ResultVersion", "Role", "Round",
    "RoundCandidate", "RoundStatus", "ScanImage", "ScanStatus", "User", "count_rows", "db",
    "name_key", "new_session_token", "utcnow",
]
