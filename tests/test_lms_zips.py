"""LMS zips: submission times, renamed uploads, names and logins kept; accented ids."""

from __future__ import annotations

import json
import zipfile

from ai2med_labs.grading.submissions import (
    LMS_FILE,
    find_submissions,
    lms_identity,
    open_submissions,
    valid_student_id,
)

LAB = "00-lab"


def _member(zf: zipfile.ZipFile, name: str, when=(2026, 12, 1, 14, 30, 0), text: str = "{}") -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    zf.writestr(info, text)


def test_moodle_and_canvas_zips_keep_time_names_and_logins(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        _member(zf, f"Zoë Müller_4242_assignsubmission_file_/{LAB} (1).ipynb")
        _member(zf, "Ada Lovelace_17_assignsubmission_file_/my_lab.ipynb", when=(2026, 12, 2, 9, 0, 0))
        _member(zf, f"bob_late_77_88_{LAB}-1.ipynb", when=(2026, 12, 3, 8, 15, 2))
        _member(zf, f"carol/{LAB}/{LAB}.ipynb")
        _member(zf, f"carol/{LAB}/timestamp.txt", text="2026-11-30 10:00:00.000000 UTC")
    folder, tmp = open_submissions(archive, LAB)
    try:
        subs = {s.student: s for s in find_submissions(folder, LAB)}
        assert set(subs) == {"4242", "17", "bob", "carol"}
        assert subs["4242"].notebooks[0].name == f"{LAB}.ipynb"  # " (1)" undone
        assert subs["bob"].notebooks[0].name == f"{LAB}.ipynb"   # "-1" undone
        zoe = lms_identity(subs["4242"].folder)
        assert zoe == {"lms": "moodle", "full_name": "Zoë Müller", "participant_id": "4242",
                       "folder": "Zoë Müller_4242_assignsubmission_file_"}
        bob = lms_identity(subs["bob"].folder)
        assert bob["login"] == "bob" and bob["user_id"] == "77" and bob["late"] is True
        assert (subs["bob"].folder / "timestamp.txt").read_text() == "2026-12-03 08:15:02.000000 UTC"
        assert (subs["carol"].folder / "timestamp.txt").read_text().startswith("2026-11-30 10:00")
        assert not (subs["carol"].folder / LMS_FILE).exists()
        assert json.loads((subs["17"].folder / LMS_FILE).read_text())["full_name"] == "Ada Lovelace"
    finally:
        tmp.cleanup()


def test_a_lone_renamed_notebook_becomes_the_labs_one_and_nothing_is_overwritten(tmp_path):
    from ai2med_labs.grading.submissions import unpack_zip

    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        _member(zf, "Ada Lovelace_17_assignsubmission_file_/my_lab.ipynb")
        _member(zf, f"Bo Li_18_assignsubmission_file_/{LAB}.ipynb", text='{"first": 1}')
        _member(zf, f"Bo Li_18_assignsubmission_file_/{LAB} (1).ipynb", text='{"second": 2}')
    out = unpack_zip(archive, LAB, tmp_path / "out", expected=[f"{LAB}.ipynb"])
    assert sorted(p.name for p in (out / "17" / LAB).glob("*.ipynb")) == [f"{LAB}.ipynb"]
    both = sorted(p.name for p in (out / "18" / LAB).glob("*.ipynb"))
    assert both == [f"{LAB} (1).ipynb", f"{LAB}.ipynb"]  # the right name was taken: both kept
    assert (out / "18" / LAB / f"{LAB}.ipynb").read_text() == '{"first": 1}'


def test_accented_student_ids_are_accepted(tmp_path):
    assert valid_student_id("zoë.müller") and valid_student_id("jürgen") and valid_student_id("øystein")
    assert not valid_student_id("_x") and not valid_student_id("a/b") and not valid_student_id("..")
    (tmp_path / "zoë" / LAB).mkdir(parents=True)
    (tmp_path / "zoë" / LAB / f"{LAB}.ipynb").write_text("{}")
    [sub] = find_submissions(tmp_path, LAB)
    assert sub.student == "zoë" and not sub.problem
