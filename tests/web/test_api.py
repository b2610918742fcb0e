"""The HTTP API over the demo store: answers, validation, authentication, CORS, ingest."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import ORIGIN, TOKEN, http

DATA = Path(__file__).resolve().parents[1] / "data"


def test_read_endpoints_answer_from_the_store(server: str) -> None:
    stats = http.get(f"{server}/api/stats").json()
    assert stats["events"] >= 105_438
    first = http.get(f"{server}/api/events", params={"dyad": "RUS-GEO", "limit": 50}).json()
    second = http.get(f"{server}/api/events", params={"dyad": "GEO-RUS", "limit": 50, "offset": 50}).json()
    assert first["total"] == second["total"] > 50 and first["next_offset"] == 50
    ids = [e["event_id"] for e in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == min(100, first["total"])
    assert all({e["actor1_iso3"], e["actor2_iso3"]} == {"GEO", "RUS"} for e in first["items"])
    assert all(len(e["event_date"]) == 10 for e in first["items"])  # dates as YYYY-MM-DD, not midnight timestamps
    alert = http.get(f"{server}/api/alerts", params={"limit": 1}).json()[0]
    assert len(alert["as_of"]) == 10 and alert["raised_at"] > alert["as_of"] and "T" in alert["raised_at"]
    assert isinstance(alert["evidence"], list) and not isinstance(alert["contributions"], str)  # decoded, not text
    warned = http.get(f"{server}/api/alerts", params={"level": "warning", "limit": 1}).json()[0]
    assert 0 < warned["probability"] < 1 and 0 < warned["base_rate"] < 1  # the demo's warnings: the warning model's
    ladder = http.get(f"{server}/api/pairs/georgia-russia/ladder").json()
    assert ladder and {"period", "escalation_index", "stage", "change_point"} <= set(ladder[0])
    forecast = http.get(f"{server}/api/pairs/GEO-RUS/forecast").json()
    assert forecast["probability"] is None and forecast["note"].startswith("too few cases (n = 0 positive")
    respond = http.get(f"{server}/api/pairs/GEO-RUS/respond").json()
    assert len(respond["levers"]) == 10
    simulate = http.get(
        f"{server}/api/pairs/GEO-RUS/simulate", params={"runs": 500, "horizon": 8, "intervention": "talks@2w:0.5"}
    ).json()
    assert len(simulate["baseline"]["reach3"]) == 9 and simulate["interventions"][0]["lever"] == "talks"
    brief = http.get(f"{server}/api/pairs/GEO-RUS/brief", params={"format": "md"})
    assert brief.status_code == 200 and brief.text.startswith("# GEO-RUS: situation brief")
    assert http.get(f"{server}/openapi.json").json()["paths"]["/api/events"]["get"]
    top = http.get(f"{server}/api/indicators/top", params={"period": "2012-08", "by": "force", "top": 4}).json()
    force = [r for r in top if r["indicator"] == "force"]
    assert len(force) == 4 and len(top) == 4 * 7 and {r["period"] for r in top} == {"2012-08-01"}  # a date
    assert [r["z"] for r in force] == sorted((r["z"] for r in force), reverse=True)


def test_malformed_input_gets_422_with_what_to_fix(server: str) -> None:
    bad = http.get(f"{server}/api/events", params={"limit": "lots"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("limit: Input should be a valid integer")
    assert http.get(f"{server}/api/events", params={"dyad": "GEORUS"}).status_code == 422
    assert http.get(f"{server}/api/events", params={"since": "2012-13-01"}).status_code == 422
    pair = http.get(f"{server}/api/pairs/GEO/ladder")
    assert pair.status_code == 422 and "expected two countries joined by '-'" in pair.json()["error"]
    unknown = http.get(f"{server}/api/pairs/GEO-XXX/ladder")
    assert unknown.status_code == 404 and "'XXX' is not a known country" in unknown.json()["error"]
    page = http.get(f"{server}/pair/GEO-XXX")  # a dashboard page answers in HTML, for a browser
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and "&#39;XXX&#39; is not a known country" in page.text
    by = http.get(f"{server}/api/indicators/top", params={"period": "2012-08", "by": "mood"})
    assert by.status_code == 422 and "no indicator 'mood'" in by.json()["error"]
    lever = http.get(f"{server}/api/pairs/GEO-RUS/simulate", params={"intervention": "prayer@2w"})
    assert lever.status_code == 422 and "no lever named 'prayer'" in lever.json()["error"]
    same = http.get(f"{server}/api/pairs/GEO-georgia/ladder")
    assert same.status_code == 422 and "a pair needs two different countries" in same.json()["error"]
    # A path or method that does not exist answers in the same shape.
    nowhere = http.get(f"{server}/api/nowhere")
    assert nowhere.status_code == 404 and nowhere.json() == {
        "error": "no such path: /api/nowhere; the endpoints are listed at /docs."
    }
    method = http.delete(f"{server}/api/events")
    assert method.status_code == 405 and method.json()["error"].startswith("DELETE is not allowed on /api/events")
    page = http.get(f"{server}/nowhere")
    assert page.status_code == 404 and "no such path: /nowhere" in page.text


def test_write_and_admin_endpoints_need_the_token(writable_server: str) -> None:
    server = writable_server  # its import folder is tests/data
    body = {"source": "gdelt", "paths": ["gdelt2_export_20170701234500_head.tsv"]}
    assert http.post(f"{server}/api/ingest", json=body).status_code == 401
    wrong = http.post(f"{server}/api/ingest", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["www-authenticate"]
    assert http.get(f"{server}/api/settings").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = http.get(f"{server}/api/stats").json()["events"]
    timeline = http.get(f"{server}/api/pairs/EGY-SAU/ladder", params={"since": "2016-01-01"}).json()
    assert timeline == []  # cached until the store changes: the ingest below adds an EGY-SAU event
    done = http.post(f"{server}/api/ingest", json=body, headers=auth, timeout=120)
    assert done.status_code == 200, done.text
    assert done.json()[0]["rows_stored"] == 10 and http.get(f"{server}/api/stats").json()["events"] == before + 10
    after = http.get(f"{server}/api/pairs/EGY-SAU/ladder", params={"since": "2016-01-01"}).json()
    assert [row["total"] for row in after if row["total"]] == [1]  # the 2016-07-01 consultation, no stale answer
    again = http.post(f"{server}/api/ingest", json=body, headers=auth, timeout=120).json()
    assert again[0]["skipped"] and http.get(f"{server}/api/stats").json()["events"] == before + 10
    assert http.post(f"{server}/api/ingest", json={"source": "gdelt", "paths": []}, headers=auth).status_code == 422
    shown = http.get(f"{server}/api/settings", headers=auth).json()
    assert "api_token" not in shown and shown["alert_freq"] == "week"


def test_server_side_ingest_reads_only_its_import_folder(writable_server: str, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    (tmp_path / "import" / "outside-link.tsv").symlink_to("/etc/hostname")
    for path in (
        "/etc/shadow",
        "/etc/passwd",
        "../../../../etc/passwd",
        "/proc/self/environ",
        "/nonexistent/secret.tsv",
        "../conftest.py",
        "outside-link.tsv",
        "/etc/*",
    ):
        answer = http.post(f"{writable_server}/api/ingest", json={"source": "acled", "paths": [path]}, headers=auth, timeout=60)
        # One answer whether or not the file exists, and nothing of any file's contents.
        assert answer.status_code == 403, (path, answer.text)
        assert (
            answer.json()["error"] == f"'{path}' is outside the import folder: give a file, folder or glob "
            "inside it, relative to it (the api_import_dir setting)."
        )
    not_data = http.post(
        f"{writable_server}/api/ingest", json={"source": "acled", "paths": ["README.md"]}, headers=auth, timeout=60
    )
    assert not_data.status_code == 400 and "small real slices" not in not_data.text, not_data.text


def test_cors_is_off_by_default(server: str) -> None:
    answer = http.options(
        f"{server}/api/stats", headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in answer.headers
    assert (
        "access-control-allow-origin"
        not in http.get(f"{server}/api/stats", headers={"Origin": "http://elsewhere.example"}).headers
    )


def test_cors_headers_are_on_kept_answers_too(cors_server: str) -> None:
    """The timeline and alerts are sent again as kept (KeptResponses), inside CORS's headers."""
    for path in ("/api/alerts?limit=5", "/api/pairs/GEO-RUS/ladder?since=2013-01-01"):
        first, again = (http.get(f"{cors_server}{path}", headers={"Origin": ORIGIN}) for _ in range(2))
        plain = http.get(f"{cors_server}{path}")
        assert first.status_code == again.status_code == plain.status_code == 200
        assert first.content == again.content == plain.content and first.json()
        assert first.headers["access-control-allow-origin"] == again.headers["access-control-allow-origin"] == ORIGIN
        assert "access-control-allow-origin" not in plain.headers


def test_a_pair_without_events_is_shown_as_of_the_stores_last_year(server: str) -> None:
    page = http.get(f"{server}/pair/FJI-TON", timeout=60)
    assert page.status_code == 200 and "No incidents between the two in the store." in page.text
    assert "Yearly metrics, 2013" in page.text  # the demo data end in May 2013, not this year


def test_values_that_pass_validation_but_reach_past_the_calendar_or_the_store_get_a_4xx(server: str) -> None:
    # A day past the store bounds what is read: the periods end with the store's last event (no period of no
    # data is listed, and the answer stays small; it was 58 MB of empty days up to 2262).
    far = http.get(f"{server}/api/pairs/GEO-RUS/ladder", params={"until": "9999-12-31", "freq": "day"}, timeout=60)
    assert far.status_code == 200 and len(far.content) < 5_000_000
    assert max(row["period"] for row in far.json()) <= "2013-05-31"
    asked = [
        ("/api/indicators/top", {"period": "9999-W52", "by": "rhetoric"}),
        ("/api/pairs/GEO-RUS/respond", {"date": "0001-01-01"}),
        ("/api/pairs/GEO-RUS/brief", {"date": "9999-12-31", "format": "md"}),
        ("/api/pairs/GEO-RUS/forecast", {"as_of": "9999-12"}),
    ]
    for path, params in asked:
        answer = http.get(f"{server}{path}", params=params, timeout=60)
        assert 400 <= answer.status_code < 500 and answer.json()["error"], (path, params, answer.text)
    odd = http.post(
        f"{server}/api/ingest",
        json={"source": "gdelt", "paths": ["x"]},
        headers={"Authorization": "Bearer tökén".encode()},
        timeout=30,
    )
    assert odd.status_code == 401


def test_concurrent_ingests_of_one_file_store_it_once(writable_server: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"source": "gdelt", "paths": ["gdelt2_export_20170701234500_head.tsv"]}
    before = http.get(f"{writable_server}/api/stats").json()["events"]
    with ThreadPoolExecutor(5) as pool:
        answers = list(
            pool.map(lambda _: http.post(f"{writable_server}/api/ingest", json=body, headers=auth, timeout=180), range(5))
        )
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    results = [a.json()[0] for a in answers]
    assert sorted(r["skipped"] for r in results) == [False, True, True, True, True]  # one stored it, each says so
    stats = http.get(f"{writable_server}/api/stats").json()
    assert stats["events"] == before + 10
    shown = http.get(f"{writable_server}/api/settings", headers=auth).json()
    assert "webhook_url" not in shown and "acled_password" not in shown


def test_answers_carry_security_headers_and_other_hosts_get_none(server: str) -> None:
    answer = http.get(f"{server}/api/stats")
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    page = http.get(f"{server}/pair/GEO-RUS")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    rebound = http.get(f"{server}/api/stats", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


def test_an_answer_past_what_the_server_sends_is_refused_with_how_to_ask_for_less(server: str, monkeypatch) -> None:  # noqa: ANN001
    from flashpoint.api import app as api

    monkeypatch.setattr(api, "MAX_ANSWER_BYTES", 10_000)  # the bound (32 MB) scaled down with the answer
    big = http.get(f"{server}/api/pairs/GEO-RUS/indicators", params={"freq": "day", "since": "2012-02-03"}, timeout=60)
    assert big.status_code == 413 and "ask for less, with since and until" in big.json()["error"]
    small = http.get(f"{server}/api/pairs/GEO-RUS/indicators", params={"freq": "year", "since": "2012-01-01"}, timeout=60)
    assert small.status_code == 200 and len(small.content) <= 10_000


def test_consequences_answer_with_their_analogues_and_without_reference_data_say_so(server: str, reference_server: str) -> None:
    found = http.get(f"{reference_server}/api/pairs/azerbaijan-armenia/consequences", params={"stage": 3}).json()
    assert found["pair"] == "ARM-AZE" and found["analogues"] >= 10 and found["cases"]
    assert {f["key"] for f in found["figures"]} >= {"became_war", "refugees_after", "trade_change"}
    dated = http.get(f"{reference_server}/api/pairs/RUS-UKR/consequences", params={"stage": 4, "date": "2014-03-01"}).json()
    assert dated["as_of"] == "2014-03-01" and max(case["year"] for case in dated["cases"]) <= 2010
    assert http.get(f"{reference_server}/api/pairs/RUS-UKR/consequences", params={"stage": 2}).status_code == 422
    page = http.get(f"{reference_server}/pair/ARM-AZE").text
    assert "What is at stake at stage 3" in page and "analogue disputes, matched on contiguous" in page
    assert "no consequence data: set reference_data" in http.get(f"{server}/pair/GEO-RUS").text
    missing = http.get(f"{server}/api/pairs/ARM-AZE/consequences")
    assert missing.status_code == 422 and "no reference data" in missing.json()["error"]
