"""``hotline orders list|show`` over the state directory's SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline import cli
from hotline.storage import Store
from hotline.work_order_desk import WorkOrderDesk
from tests.unit.test_work_order_desk import Clock, complaint
from transfers.directory import load_directory


async def test_orders_are_listed_and_shown_with_history_and_deliveries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    (tmp_path / "state").mkdir()
    store = Store.open(f"sqlite:///{tmp_path / 'state' / 'hotline.db'}")
    store.migrate()
    desk = WorkOrderDesk(store, load_directory(), lambda _: None, Clock())
    made = await desk.create(complaint(urgent=True), "7001")
    store.close()

    assert cli.main(["orders", "list", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["number"] == made.number
    assert cli.main(["orders", "show", made.number]) == 0
    shown = capsys.readouterr().out
    assert "create" in shown and "hotline/v1/work-orders/changning/inspection_brigade" in shown
    assert "13800138000" not in shown, "the caller's number is masked"
    assert cli.main(["orders", "show", "WO-20990101-0001"]) == 1
    assert "numbers look like" in capsys.readouterr().err
