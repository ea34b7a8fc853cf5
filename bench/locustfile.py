"""Simulated visitors of the map explorer (run by bench/maps.py with locust, headless).

Each visitor opens the page as a browser does (page, Dash layout and dependencies, the
geometry of the level and the unit points, once), then explores: a new measure, colouring or
release (one callback each), a drill-down, now and then a fresh page load.
"""

import json
import random

from locust import HttpUser, between, task

from dashboards.map_outputs import update_request

UPDATE = "/django_plotly_dash/app/map_explorer/_dash-update-component"
LEVELS = ("icb", "icb", "region", "lhb", "country", "pdu")
MEASURES = ("25", "32.1", "41", "42", "44", "46", "47", "13", "15", "24", "31", "40")
DRILLS = ("?level=icb&area=E40000007", "?level=pdu&area=E54000008", "?level=icb&area=E40000011",
          "?level=pdu&area=W11000028", "?level=region&area=E92000001")  # fmt: skip


class Visitor(HttpUser):
    wait_time = between(1, 3)  # a person reads the map between changes

    def on_start(self) -> None:
        self.open_page()

    def open_page(self) -> None:
        self.client.get("/maps/", name="page /maps/")
        self.client.get("/django_plotly_dash/app/map_explorer/_dash-layout", name="dash layout")
        self.client.get(
            "/django_plotly_dash/app/map_explorer/_dash-dependencies", name="dash dependencies"
        )
        answer = self.callback("?")
        if answer is not None:
            for layer in ("area-layer", "unit-layer", "context-layer"):
                self.client.get(answer[layer]["url"], name="geometry (once per visitor)")

    def callback(self, search: str) -> dict | None:
        response = self.client.post(
            UPDATE, json.dumps(update_request(search)), name="map callback",
            headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"},
        )  # fmt: skip
        return response.json()["response"] if response.ok else None

    @task(6)
    def change_measure(self) -> None:
        level, measure = random.choice(LEVELS), random.choice(MEASURES)
        colour = random.choice(("comparison", "value"))
        self.callback(f"?level={level}&measure={measure}&colour={colour}")

    @task(2)
    def drill_down(self) -> None:
        self.callback(random.choice(DRILLS) + f"&measure={random.choice(MEASURES)}")

    @task(1)
    def reload(self) -> None:
        self.open_page()
