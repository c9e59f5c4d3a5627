"""The model card is rendered from the training report, and re-rendering keeps what others added."""

from __future__ import annotations

import json
from pathlib import Path

from models import MODEL_CARD_PATH, MODELS_DIR
from models.card import render_card, write_card

REPORT = json.loads((MODELS_DIR / "training-report.json").read_text())


def test_committed_card_is_the_rendering_of_the_committed_report() -> None:
    rendered = render_card(REPORT)
    assert MODEL_CARD_PATH.read_text().startswith(rendered.rstrip("\n")), "run models.train --card-only"


def test_rerendering_keeps_sections_others_added(tmp_path: Path) -> None:
    path = tmp_path / "MODEL_CARD.md"
    extra = "## Field notes\n\nSeen on site 7: a heat pump vent reads as a person.\n"
    path.write_text(render_card(REPORT) + "\n" + extra)
    write_card(REPORT, path)
    write_card(REPORT, path)
    text = path.read_text()
    assert text.count("## Field notes") == 1 and text.endswith(extra)
    assert text.count("## Metrics on held-out simulator seeds") == 1
