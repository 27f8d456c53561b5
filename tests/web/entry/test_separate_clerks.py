"""Double entry: one clerk may type only one of the two passes of a round."""

from kiemphieu.models import Ballot, Role


def test_a_clerk_who_typed_pass_a_may_not_type_pass_b(app, client, make_round, counter, post, codes):
    app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] = True
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    assert post.save(round_, "A", {"struck": [c[0], c[1]]}).status_code == 201
    refused = post.save(round_, "B", {"struck": [c[0], c[1]]})
    assert refused.status_code == 409
    assert "phải do người khác nhập" in refused.get_json()["error"]
    screen = client.get(f"/rounds/{round_.id}/entry/B")
    assert screen.status_code == 409 and "phải do người khác nhập" in screen.get_data(as_text=True)
    assert app.extensions["sqlalchemy"].session.query(Ballot).filter_by(entry_pass="B").count() == 0


def test_a_second_clerk_types_pass_b(app, client, auth, make_round, counter, post, codes):
    app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] = True
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    assert post.save(round_, "A", {"struck": [c[0], c[1]]}).status_code == 201
    auth.logout()
    auth.as_role(Role.COUNTER, congresses={round_.congress: Role.COUNTER})
    assert post.save(round_, "B", {"struck": [c[0], c[1]]}).status_code == 201


def test_single_clerk_offices_may_switch_the_rule_off(app, make_round, counter, post, codes):
    app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] = False
    round_ = make_round(seats=2)
    counter(round_.congress)
    c = codes(round_)
    assert post.save(round_, "A", {"struck": [c[0], c[1]]}).status_code == 201
    assert post.save(round_, "B", {"struck": [c[0], c[1]]}).status_code == 201
