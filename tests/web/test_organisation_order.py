"""Lists of organisations read as the province's tree: each organisation under its parent,
siblings in Vietnamese letter order with numbers by value ("xã số 2" before "xã số 10"), on the
users page, the organisations page, the congress form and the dashboard's filter."""

from __future__ import annotations

import re

import pytest

from kiemphieu.congress import services
from kiemphieu.models import Role
from kiemphieu.season.tree import INDENT, natural_key, tree_options


@pytest.fixture
def province(app):
    top = services.create_organisation("Đảng bộ tỉnh Hà Tĩnh", level="province")
    districts = {n: services.create_organisation(f"Đảng bộ huyện số {n}", top, level="district") for n in (10, 2, 1)}
    communes = {n: services.create_organisation(f"Đảng bộ xã số {n}", districts[1]) for n in (12, 3, 100)}
    services.create_organisation("Đảng bộ xã Ân Phú", districts[2])
    services.create_organisation("Đảng bộ xã Anh Sơn", districts[2])
    for commune in communes.values():
        services.create_congress(commune, convened=100)
    return top


TREE_ORDER = [
    "Đảng bộ tỉnh Hà Tĩnh",
    "Đảng bộ huyện số 1", "Đảng bộ xã số 3", "Đảng bộ xã số 12", "Đảng bộ xã số 100",
    "Đảng bộ huyện số 2", "Đảng bộ xã Anh Sơn", "Đảng bộ xã Ân Phú",
    "Đảng bộ huyện số 10",
]


def test_natural_key_orders_numbers_by_value_and_letters_the_vietnamese_way():
    names = ["xã số 10", "xã số 2", "xã Ân Phú", "xã Anh Sơn", "xã Đông", "xã Dương"]
    assert sorted(names, key=natural_key) == ["xã Anh Sơn", "xã Ân Phú", "xã Dương", "xã Đông", "xã số 2", "xã số 10"]


def test_tree_options_put_children_under_their_parent_indented(province):
    options = tree_options()
    assert [label.replace(INDENT, "") for _, label in options] == TREE_ORDER
    depth = {label.replace(INDENT, ""): label.count(INDENT) for _, label in options}
    assert depth["Đảng bộ tỉnh Hà Tĩnh"] == 0 and depth["Đảng bộ huyện số 2"] == 1 and depth["Đảng bộ xã số 12"] == 2


def _option_labels(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", label.replace("\u00a0", "")).strip()
            for label in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


def test_users_page_lists_organisations_in_tree_order(client, auth, province):
    auth.as_role(Role.ADMIN)
    html = client.get("/users").get_data(as_text=True)
    assert _option_labels(html, "grant-organisation_id") == TREE_ORDER
    assert _option_labels(html, "user-organisation_id") == ["— Không giao —"] + TREE_ORDER
    congresses = _option_labels(html, "assign-congress_id")
    assert [re.search(r"xã số (\d+)", c).group(1) for c in congresses] == ["3", "12", "100"]


def test_congress_form_and_organisations_page_follow_the_tree(client, auth, province):
    auth.as_role(Role.ORGANISER)
    assert _option_labels(client.get("/congresses/new").get_data(as_text=True), "organisation_id") == TREE_ORDER
    page = client.get("/organisations").get_data(as_text=True)
    paths = re.findall(r"<tr><td>([^<]*)</td>", page)
    assert [path.split(" / ")[-1] for path in paths] == TREE_ORDER


def test_dashboard_filter_follows_the_tree(client, auth, province):
    auth.as_role(Role.ADMIN)
    labels = _option_labels(client.get("/").get_data(as_text=True), "organisation")
    assert [label.split(" / ")[-1] for label in labels if label.startswith("Đảng bộ")] == TREE_ORDER
