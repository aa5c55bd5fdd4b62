"""The clicks answer names system links as the editor does, instead of showing their merge tags."""

from __future__ import annotations

from agent.offline.nlg import compose


def test_clicks_answer_names_the_unsubscribe_link() -> None:
    report = {
        "object": "clicks_report", "campaign_name": "May 2026 - Newsletter", "unique_clickers": 12, "total_clicks": 15,
        "links": [
            {"url": "https://shop.example/new", "unique_clicks": 9, "clicks": 11, "is_honeypot": False},
            {"url": "%UNSUBSCRIBELINK%", "unique_clicks": 3, "clicks": 4, "is_honeypot": False},
            {"url": "https://shop.example/trap", "unique_clicks": 5, "clicks": 5, "is_honeypot": True},
        ],
    }
    text = compose(report)
    assert "- https://shop.example/new: 9 unique, 11 total" in text
    assert "- Unsubscribe link: 3 unique, 4 total" in text
    assert "%UNSUBSCRIBELINK%" not in text and "trap" not in text
