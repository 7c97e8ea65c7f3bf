"""A drain's report: the work of its passes added up."""

from __future__ import annotations

from ledgerbridge.engine.drain import DrainReport
from ledgerbridge.engine.push import PassReport


def test_a_drain_adds_up_the_work_of_its_passes() -> None:
    report = DrainReport()
    report.add(PassReport(created=30, linked=2, failed=1, unchanged=4))
    report.add(PassReport(created=5, updated=3, blocked=2, stopped="rate_limited"))
    assert (report.passes, report.created, report.updated, report.linked) == (2, 35, 3, 2)
    assert (report.failed, report.blocked, report.unchanged) == (1, 2, 4)
    assert report.progressed == 35 + 3 + 2 + 4
    assert report.stopped is None  # a pass that stopped early does not stop the drain
    shown = report.to_json()
    assert (shown["passes"], shown["created"], shown["failed"], shown["stopped"]) == (
        2,
        35,
        1,
        None,
    )
