"""Set-up pages (views stay thin: forms in forms.py, writes in services.py).

Navigation: congress -> election -> round. Reading needs the viewer role in the congress,
changing needs the organiser role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import audit, labels
from ..audit import pages as audit_pages
from ..auth import access
from ..auth.access import require_role
from ..auth.forms import options
from ..extensions import db
from ..models import Congress, CountCommitteeMember, Exclusion, Organisation, Role, RoundStatus
from ..season.tree import organisation_tree, path_key, tree_options
from ..tally import Body
from . import services
from .forms import (
    CandidateForm,
    CommitteeConvenedForm,
    CommitteeMemberForm,
    CongressForm,
    ElectionForm,
    EntryModeForm,
    ExclusionForm,
    OrganisationForm,
    PasteCandidatesForm,
    RoundNumbersForm,
    BatchesForm,
)

bp = Blueprint("congress", __name__)


def attempt(operation: Callable, *args: Any, success: str = "", **kwargs: Any) -> Any:
    """Run a service; flash its refusal (SetupError) or the success message."""
    try:
        result = operation(*args, **kwargs)
    except services.SetupError as exc:
        flash(str(exc), "error")
        return None
    if success:
        flash(success, "success")
    return result if result is not None else True


def flash_errors(form: FlaskForm) -> None:
    for field in form:
        for error in field.errors:
            # A message that already names its field is not prefixed with the label again.
            flash(error if error.startswith(field.label.text) else f"{field.label.text}: {error}", "error")


def organisation_choices(exclude: int | None = None, *, root: bool = False) -> list:
    """The organisations the current user organises (a scoped organiser cannot add a root)."""
    scope = access.organiser_scope(current_user._get_current_object())
    choices = [(org_id, label) for org_id, label in tree_options(scope) if org_id != exclude]
    if root and scope is None:
        choices.insert(0, (0, "— Không có —"))
    return options(choices)


def _parent_in_scope(parent_id: int) -> Organisation | None:
    """The chosen parent, only if the user organises it (None only for a global organiser)."""
    scope = access.organiser_scope(current_user._get_current_object())
    if not parent_id:
        return None if scope is None else abort(403)
    if scope is not None and parent_id not in scope:
        abort(403)
    return db.session.get(Organisation, parent_id) or abort(400)


# ------------------------------------------------------------------ congresses


@bp.route("/")
@require_role(Role.VIEWER)
def index():
    """The season dashboard (kiemphieu.season.dashboard): every congress in scope, filtered."""
    from flask import request

    from ..season.dashboard import STATES, Filters, build_dashboard

    board = build_dashboard(current_user, Filters.from_args(request.args))
    return render_template("congress/index.html", board=board, states=STATES)


@bp.route("/organisations", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def organisations():
    """Organisations in the user's scope; an organiser adds them below what they organise."""
    form = OrganisationForm()
    form.parent_id.choices = organisation_choices(root=True)
    if form.validate_on_submit():
        parent = _parent_in_scope(form.parent_id.data)
        if attempt(services.create_organisation, form.name.data, parent, form.level.data,
                   success="Đã thêm tổ chức đảng."):
            return redirect(url_for(".organisations"))
    from sqlalchemy import func

    user = current_user._get_current_object()
    visible = access.visible_organisations(user)
    # Paths from one read and counts grouped, whatever the number of organisations; in tree
    # order with numbers by value ("xã số 2" before "xã số 10").
    tree = organisation_tree()
    counts = dict(db.session.execute(select(Congress.organisation_id, func.count()).group_by(Congress.organisation_id)).all())
    visible.sort(key=lambda o: path_key(tree[o.id][1]))
    rows = [(o, " / ".join(tree[o.id][1]), counts.get(o.id, 0)) for o in visible]
    return render_template("congress/organisations.html", form=form, organisations=rows,
                           editable=access.editable_organisations(user))


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def edit_organisation(organisation_id: int):
    organisation = g.organisation
    if not access.may_edit_organisation(current_user._get_current_object(), organisation):
        abort(403)
    form = OrganisationForm(data={"name": organisation.name, "parent_id": organisation.parent_id or 0,
                                  "level": organisation.level})
    form.parent_id.choices = organisation_choices(exclude=organisation.id, root=True)
    if organisation.parent_id and organisation.parent_id not in {c.value for c in form.parent_id.choices}:
        # A district organiser edits the district itself: its parent stays where it is.
        form.parent_id.choices = options([(organisation.parent_id, organisation.parent.name)])
    if form.validate_on_submit():
        parent = organisation.parent if form.parent_id.data == organisation.parent_id \
            else _parent_in_scope(form.parent_id.data)
        if attempt(services.update_organisation, organisation, form.name.data, parent, form.level.data,
                   success="Đã lưu."):
            return redirect(url_for(".organisations"))
    return render_template("congress/organisation_edit.html", form=form, organisation=organisation)


@bp.route("/congresses/new", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def create():
    form = CongressForm()
    form.organisation_id.choices = organisation_choices()
    if not form.organisation_id.choices:
        flash("Hãy thêm tổ chức đảng trước khi tạo đại hội.", "warning")
        return redirect(url_for(".organisations"))
    if form.validate_on_submit():
        organisation = _parent_in_scope(form.organisation_id.data) or abort(400)
        congress = attempt(services.create_congress, organisation, **_congress_fields(form),
                           success="Đã tạo đại hội.")
        if congress:
            return redirect(url_for(".show", congress_id=congress.id))
    return render_template("congress/congress_form.html", form=form, congress=None)


def _congress_fields(form: CongressForm) -> dict:
    return {key: getattr(form, key).data for key in services.CONGRESS_FIELDS}


@bp.route("/congresses/<int:congress_id>")
@require_role(Role.VIEWER)
def show(congress_id: int):
    congress = g.congress
    return render_template(
        "congress/show.html",
        congress=congress,
        exclusion_form=ExclusionForm(),
        committee_exclusion_form=ExclusionForm(prefix="committee"),
        convened_form=CommitteeConvenedForm(committee_convened=congress.committee_convened),
        member_form=CommitteeMemberForm(),
        Body=Body,
    )


@bp.route("/congresses/<int:congress_id>/edit", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def edit(congress_id: int):
    congress = g.congress
    form = CongressForm(obj=congress)
    form.organisation_id.choices = organisation_choices()
    if congress.organisation_id not in {c.value for c in form.organisation_id.choices}:
        form.organisation_id.choices = options([(congress.organisation_id, congress.organisation.name)])
    if form.validate_on_submit():
        fields = _congress_fields(form)
        if attempt(services.update_congress, congress, **fields, success="Đã lưu thông tin đại hội."):
            return redirect(url_for(".show", congress_id=congress.id))
    return render_template("congress/congress_form.html", form=form, congress=congress)


@bp.route("/congresses/<int:congress_id>/exclusions", methods=["POST"])
@require_role(Role.ORGANISER)
def add_exclusion(congress_id: int):
    committee = request.args.get("body") == Body.COMMITTEE.value
    form = ExclusionForm(prefix="committee") if committee else ExclusionForm()
    if form.validate_on_submit():
        attempt(services.add_exclusion, g.congress, form.count.data, form.reason.data,
                Body.COMMITTEE if committee else Body.CONGRESS, success="Đã thêm mục loại trừ.")
    else:
        flash_errors(form)
    return redirect(url_for(".show", congress_id=congress_id) + ("#hoi-nghi" if committee else "#loai-tru"))


@bp.route("/congresses/<int:congress_id>/committee-convened", methods=["POST"])
@require_role(Role.ORGANISER)
def set_committee_convened(congress_id: int):
    form = CommitteeConvenedForm()
    if form.validate_on_submit():
        attempt(services.set_committee_convened, g.congress, form.committee_convened.data,
                success="Đã lưu số ủy viên Ban Chấp hành được triệu tập.")
    else:
        flash_errors(form)
    return redirect(url_for(".show", congress_id=congress_id) + "#hoi-nghi")


@bp.route("/congresses/<int:congress_id>/exclusions/<int:exclusion_id>/delete", methods=["POST"])
@require_role(Role.ORGANISER)
def remove_exclusion(congress_id: int, exclusion_id: int):
    exclusion = db.session.get(Exclusion, exclusion_id)
    if exclusion is None or exclusion.congress_id != congress_id:
        abort(404)
    attempt(services.remove_exclusion, exclusion, success="Đã xóa mục loại trừ.")
    return redirect(url_for(".show", congress_id=congress_id) + "#loai-tru")


@bp.route("/congresses/<int:congress_id>/committee", methods=["POST"])
@require_role(Role.ORGANISER)
def add_member(congress_id: int):
    form = CommitteeMemberForm()
    if form.validate_on_submit():
        attempt(services.add_committee_member, g.congress, form.name.data, form.role.data,
                success="Đã thêm thành viên Ban kiểm phiếu.")
    else:
        flash_errors(form)
    return redirect(url_for(".show", congress_id=congress_id) + "#ban-kiem-phieu")


@bp.route("/congresses/<int:congress_id>/committee/<int:member_id>/delete", methods=["POST"])
@require_role(Role.ORGANISER)
def remove_member(congress_id: int, member_id: int):
    member = db.session.get(CountCommitteeMember, member_id)
    if member is None or member.congress_id != congress_id:
        abort(404)
    attempt(services.remove_committee_member, member, success="Đã xóa thành viên Ban kiểm phiếu.")
    return redirect(url_for(".show", congress_id=congress_id) + "#ban-kiem-phieu")


@bp.route("/congresses/<int:congress_id>/audit")
@require_role(Role.VIEWER)
def audit_log(congress_id: int):
    chosen = audit_pages.AuditFilter.from_args(request.args)
    shown = audit_pages.audit_page(congress_id, chosen, audit_pages.congress_names(congress_id))
    # Only this congress's chain: a province's other congresses are not re-verified per view.
    return render_template("congress/audit.html", congress=g.congress, shown=shown,
                           chain=audit.verify_chain(congress_id))


@bp.route("/audit")
@require_role(Role.ADMIN)
def system_audit_log():
    """The system chain (users, organisations, logins, imports): administrators only."""
    chosen = audit_pages.AuditFilter.from_args(request.args)
    return render_template("congress/system_audit.html", shown=audit_pages.audit_page(None, chosen),
                           chain=audit.verify_chain(None))


# ------------------------------------------------------------------ elections and candidates


@bp.route("/congresses/<int:congress_id>/elections/new", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def create_election(congress_id: int):
    form = ElectionForm()
    if form.validate_on_submit():
        election = attempt(services.create_election, g.congress, form.kind.data, form.title.data, form.seats.data,
                           entry_mode=form.entry_mode.data, body=form.body.data or None,
                           success="Đã tạo cuộc bầu. Hãy thêm người ứng cử.")
        if election:
            return redirect(url_for(".election", election_id=election.id))
    return render_template("congress/election_form.html", form=form, election=None)


@bp.route("/elections/<int:election_id>")
@require_role(Role.VIEWER)
def election(election_id: int):
    return _election_page(g.election)


def _election_page(election, candidate_form=None, paste_form=None, status: int = 200):
    """The election page; after a refused form, with what was typed kept and its errors beside it."""
    return render_template(
        "congress/election.html",
        election=election,
        candidates=election.candidates_in_ballot_order(),
        warnings=services.election_warnings(election, current_app.config["SURPLUS_WARNING_RATIO"]),
        candidate_form=candidate_form or CandidateForm(formdata=None),
        paste_form=paste_form or PasteCandidatesForm(formdata=None),
        editable=election.rounds[0].status == RoundStatus.SETUP.value,
    ), status


@bp.route("/elections/<int:election_id>/edit", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def edit_election(election_id: int):
    election = g.election
    form = ElectionForm(obj=election, entry_mode=election.rounds[0].entry_mode)
    del form.entry_mode  # per round, on the round page
    if form.validate_on_submit():
        if attempt(services.update_election, election, form.kind.data, form.title.data, form.seats.data,
                   body=form.body.data or None, success="Đã lưu cuộc bầu."):
            return redirect(url_for(".election", election_id=election.id))
    return render_template("congress/election_form.html", form=form, election=election)


@bp.route("/elections/<int:election_id>/candidates", methods=["POST"])
@require_role(Role.ORGANISER)
def add_candidate(election_id: int):
    form = CandidateForm()
    if form.validate_on_submit():
        added = attempt(services.add_candidate, g.election, form.name.data, form.born.parsed, form.note.data or "")
        if added:
            # The page itself lists the set-up warnings (surplus...): not flashed a second time.
            flash(f"Đã thêm “{added.name}”.", "success")
            return redirect(url_for(".election", election_id=election_id) + "#them")
    # Refused: the form comes back with what was typed (the name is not lost) and its errors.
    return _election_page(g.election, candidate_form=form, status=400)


@bp.route("/elections/<int:election_id>/candidates/paste", methods=["POST"])
@require_role(Role.ORGANISER)
def paste_candidates(election_id: int):
    form = PasteCandidatesForm()
    if form.validate_on_submit():
        added = attempt(services.add_candidates_from_text, g.election, form.text.data)
        if added:
            flash(f"Đã thêm {len(added)} người ứng cử.", "success")
        else:
            # Keep what was pasted, so one wrong line does not cost the whole list.
            return _election_page(g.election, paste_form=form, status=400)
    else:
        flash_errors(form)
    return redirect(url_for(".election", election_id=election_id))


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@require_role(Role.ORGANISER)
def edit_candidate(candidate_id: int):
    candidate = g.candidate
    born = labels.date_short(candidate.born)
    form = CandidateForm(data={"name": candidate.name, "born": born, "note": candidate.note})
    form.submit.label.text = "Lưu"
    if form.validate_on_submit():
        if attempt(services.update_candidate, candidate, form.name.data, form.born.parsed, form.note.data or "",
                   success="Đã lưu người ứng cử."):
            return redirect(url_for(".election", election_id=candidate.election_id))
    return render_template("congress/candidate_form.html", form=form, candidate=candidate)


@bp.route("/candidates/<int:candidate_id>/delete", methods=["POST"])
@require_role(Role.ORGANISER)
def remove_candidate(candidate_id: int):
    election_id = g.candidate.election_id
    attempt(services.remove_candidate, g.candidate, success="Đã xóa người ứng cử.")
    return redirect(url_for(".election", election_id=election_id))


# ------------------------------------------------------------------ rounds


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@require_role(Role.VIEWER)
def round_page(round_id: int):
    round_ = g.round
    form = RoundNumbersForm(obj=round_)
    if round_.election.electing_body is Body.COMMITTEE:
        form.present.label.text = "Số ủy viên Ban Chấp hành có mặt lúc bầu cử"
    if form.validate_on_submit():
        if g.role.rank < Role.ORGANISER.rank:
            abort(403)
        if attempt(services.set_round_numbers, round_, form.present.data, form.issued.data, form.voted_on.data,
                   success="Đã lưu số có mặt và số phiếu phát ra."):
            return redirect(url_for(".round_page", round_id=round_id))
    return render_template(
        "congress/round.html",
        round=round_,
        election=round_.election,
        engine=round_.to_election(),
        form=form,
        mode_form=EntryModeForm(entry_mode=round_.entry_mode),
        batches_form=BatchesForm(batches=round_.batches),
    )


@bp.route("/rounds/<int:round_id>/batches", methods=["POST"])
@require_role(Role.ORGANISER)
def set_batches(round_id: int):
    form = BatchesForm()
    if form.validate_on_submit():
        attempt(services.set_batches, g.round, form.batches.data, success=f"Đã chia xấp phiếu thành {form.batches.data} tệp.")
    else:
        flash_errors(form)
    return redirect(url_for(".round_page", round_id=round_id) + "#tep-phieu")


@bp.route("/rounds/<int:round_id>/entry-mode", methods=["POST"])
@require_role(Role.ORGANISER)
def set_entry_mode(round_id: int):
    form = EntryModeForm()
    if form.validate_on_submit():
        attempt(services.set_entry_mode, g.round, form.entry_mode.data, success="Đã đổi cách nhập phiếu.")
    else:
        flash_errors(form)
    return redirect(url_for(".round_page", round_id=round_id))


@bp.route("/rounds/<int:round_id>/start", methods=["POST"])
@require_role(Role.ORGANISER)
def start_entry(round_id: int):
    attempt(services.start_entry, g.round, success="Đã chốt danh sách: bắt đầu nhập phiếu.")
    return redirect(url_for(".round_page", round_id=round_id))


@bp.route("/rounds/<int:round_id>/ballot")
@require_role(Role.VIEWER)
def ballot_preview(round_id: int):
    round_ = g.round
    return render_template("congress/ballot_preview.html", round=round_, engine=round_.to_election())
