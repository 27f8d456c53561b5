"""Scanner profiles: each shipped profile loads; every kind of bad key is named in the error."""

import pytest

from kiemphieu.ocr.profiles import PROFILE_DIR, Profile, ProfileError, load_profile, profile_from_dict, working_dpi


@pytest.mark.parametrize("name", ["feeder-200dpi-colour", "bw-300dpi", "phone-photo"])
def test_each_shipped_profile_loads(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.strike.marginal < profile.strike.definite
    assert profile.boxes.marginal < profile.boxes.definite
    assert load_profile(PROFILE_DIR / f"{name}.toml") == profile  # by path too


def test_default_profile_is_the_feeder_and_mirrors_the_dataclass():
    assert load_profile(None).name == "feeder-200dpi-colour"
    assert load_profile(None).scan == Profile().scan and load_profile(None).strike == Profile().strike


def test_bw_profile_checks_the_seal_by_its_shape():
    """Issue 11: a bitonal scan is never counted with its seal unchecked."""
    profile = load_profile("bw-300dpi")
    assert profile.scan.bitonal and profile.seal.check


@pytest.mark.parametrize("data, named", [
    ({"strike": {"definit": 0.5}}, "strike.definit"),
    ({"colour": True}, "colour"),
    ({"scan": {"work_dpi": "high"}}, "scan.work_dpi"),
    ({"seal": {"check": 1}}, "seal.check"),
    ({"scan": {"max_pixels": 1.5}}, "scan.max_pixels"),
    ({"strike": {"definite": 1.7}}, "strike.definite"),
    ({"strike": {"marginal": 0.7, "definite": 0.5}}, "strike.marginal"),
    ({"boxes": {"marginal": 0.9}}, "boxes.marginal"),
    ({"seal": {"min_radius_mm": 30.0, "max_radius_mm": 20.0}}, "seal.min_radius_mm"),
    ({"scan": {"work_dpi": 120.0, "small_print_dpi": 110.0}}, "scan.small_print_dpi"),
    ({"scan": {"small_print_dpi": 400.0}}, "scan.small_print_dpi"),
    ({"boxes": {"x_max_edge_excess": 0.3, "cancel_edge_excess": 0.2}}, "boxes.x_max_edge_excess"),
    ({"boxes": {"both_max_edge_run": 0.4}}, "boxes.both_max_edge_run"),
    ({"boxes": {"x_min_balance": 0.6}}, "boxes.x_min_balance"),
    ({"boxes": {"x_max_crossings": 2.0}}, "boxes.x_max_crossings"),
])
def test_bad_profile_names_the_bad_key(data, named):
    with pytest.raises(ProfileError) as info:
        profile_from_dict(data, "test.toml")
    assert named in str(info.value) and "test.toml" in str(info.value)


def test_bad_profile_file_and_unknown_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[strike]\nmarginal = 0.3\nsharpness = 2\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="strike.sharpness"):
        load_profile(str(path))
    path.write_text("[strike\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="bad TOML"):
        load_profile(str(path))
    with pytest.raises(ProfileError, match="no scanner profile named 'nope'"):
        load_profile("nope")
    with pytest.raises(ProfileError):
        load_profile("../scanner_profiles/bw-300dpi")  # not a name, and no such file


def test_a_profile_is_parsed_once_until_its_file_changes(tmp_path):
    """The worker loads the profile for every file: parsed once, but an edit on disk is seen."""
    import os

    from kiemphieu.ocr.profiles import load_profile, profile_toml

    path = tmp_path / "mine.toml"
    path.write_text(profile_toml(load_profile(None)).replace("min_dpi = 90.0", "min_dpi = 91.0"), encoding="utf-8")
    first = load_profile(str(path))
    assert first.scan.min_dpi == 91.0 and load_profile(str(path)) is first
    path.write_text(path.read_text(encoding="utf-8").replace("min_dpi = 91.0", "min_dpi = 95.0"), encoding="utf-8")
    os.utime(path, ns=(first_ns := path.stat().st_mtime_ns + 10**9, first_ns))
    assert load_profile(str(path)).scan.min_dpi == 95.0


def test_small_print_is_measured_finer_and_other_print_at_work_dpi():
    """The working resolution follows the layout's smallest printed name (a pure choice)."""
    scan = profile_from_dict({"scan": {"work_dpi": 100.0, "small_print_mm": 4.0, "small_print_dpi": 150.0}}).scan
    assert working_dpi(scan, 3.54) == working_dpi(scan, 3.99) == 150.0
    assert working_dpi(scan, 4.0) == working_dpi(scan, 4.6) == 100.0
    never = profile_from_dict({"scan": {"small_print_mm": 0.0}}).scan
    assert working_dpi(never, 3.0) == never.work_dpi


def test_a_profile_for_small_print_changes_only_the_working_resolution():
    profile = load_profile()
    small = profile.for_print(3.6)
    assert small.scan.work_dpi == profile.scan.small_print_dpi > profile.scan.work_dpi
    assert small.strike == profile.strike and small.name == profile.name
    assert small.digest != profile.digest  # the reading records the resolution it was measured at
    assert small.for_print(3.6) == small  # applied twice: nothing more changes
    assert profile.for_print(4.6) is profile


def test_the_layout_chooses_the_resolution_from_its_names():
    """64 names on A4 are printed under 4 mm and measured at small_print_dpi; 15 names are not."""
    from kiemphieu.ocr.geometry import layout_for
    from kiemphieu.ocr.synthetic.classes import split_elections
    from kiemphieu.ocr.template import profile_for, template_for

    profile = load_profile()
    small, normal = (layout_for(split_elections("tune")[name]) for name in ("strike64", "strike15"))
    assert profile_for(small, profile).scan.work_dpi == profile.scan.small_print_dpi
    assert profile_for(normal, profile) is profile
    template = template_for(small, profile_for(small, profile))
    assert template.width == round(small.paper.width * profile.scan.small_print_dpi / 25.4)
    # A wavy pen line's runs are joined across as many millimetres as at 100 dpi (one pixel there).
    assert template.run_tolerance == 2 and template_for(normal, profile).run_tolerance == 1
