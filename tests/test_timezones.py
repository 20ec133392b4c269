"""People's time zones: wall-clock times in Leiden and Tomsk to UTC instants and back, across DST."""

from datetime import datetime, timezone

import pytest

from shared.timezones import is_zone_name, local_to_utc, show_local, utc_to_local, zone_label, zone_of_institution

UTC = timezone.utc


@pytest.mark.parametrize("local, zone, utc", [
    # Amsterdam springs forward on 28 March 2027 at 02:00 (to 03:00): 01:59 is winter time, 03:00 summer.
    (datetime(2027, 3, 28, 1, 59), "Europe/Amsterdam", datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
    (datetime(2027, 3, 28, 3, 0), "Europe/Amsterdam", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
    # 02:30 does not happen that night: read as 03:30 summer time, as the clock shows after the jump.
    (datetime(2027, 3, 28, 2, 30), "Europe/Amsterdam", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    # Amsterdam falls back on 31 October 2027 at 03:00 (to 02:00): 02:30 happens twice; the first is taken.
    (datetime(2027, 10, 31, 2, 30), "Europe/Amsterdam", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    (datetime(2027, 10, 31, 3, 30), "Europe/Amsterdam", datetime(2027, 10, 31, 2, 30, tzinfo=UTC)),
    # Tomsk has kept UTC+7 all year since 2016: the same nights change nothing there.
    (datetime(2027, 3, 28, 2, 30), "Asia/Tomsk", datetime(2027, 3, 27, 19, 30, tzinfo=UTC)),
    (datetime(2027, 10, 31, 2, 30), "Asia/Tomsk", datetime(2027, 10, 30, 19, 30, tzinfo=UTC)),
    (datetime(2027, 1, 1, 0, 0), "Asia/Tomsk", datetime(2026, 12, 31, 17, 0, tzinfo=UTC)),
])
def test_a_wall_clock_time_in_a_zone_is_one_utc_instant(local, zone, utc):
    assert local_to_utc(local, zone) == utc


def test_an_instant_reads_back_as_the_time_typed_except_the_hour_the_clocks_skip():
    for local in (datetime(2027, 3, 28, 1, 59), datetime(2027, 3, 28, 3, 0), datetime(2027, 10, 31, 2, 30)):
        assert utc_to_local(local_to_utc(local, "Europe/Amsterdam"), "Europe/Amsterdam").replace(tzinfo=None) == local
    skipped = local_to_utc(datetime(2027, 3, 28, 2, 30), "Europe/Amsterdam")
    assert utc_to_local(skipped, "Europe/Amsterdam").replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)


def test_an_enrolment_window_closing_at_2359_in_leiden_closes_at_0559_in_tomsk():
    closes = local_to_utc(datetime(2027, 1, 25, 23, 59), zone_of_institution("LUMC"))
    assert show_local(closes, zone_of_institution("SSMU"), "en", named=True) == "26 Jan 2027, 05:59 (Tomsk, UTC+7)"
    assert show_local(closes, "Europe/Amsterdam", "ru", named=True) == "25 янв. 2027, 23:59 (Амстердам, UTC+1)"


def test_a_zone_is_named_with_its_offset_at_that_instant():
    assert zone_label(datetime(2027, 7, 1, tzinfo=UTC), "Europe/Amsterdam", "en") == "Amsterdam, UTC+2"
    assert zone_label(datetime(2027, 7, 1, tzinfo=UTC), "Asia/Kolkata", "en") == "Kolkata, UTC+5:30"
    assert zone_label(datetime(2027, 7, 1, tzinfo=UTC), "America/New_York", "en") == "New York, UTC-4"
    assert zone_label(datetime(2027, 1, 1, tzinfo=UTC), "Europe/London", "en") == "London, UTC"
    assert zone_label(datetime(2027, 1, 1, tzinfo=UTC), "UTC", "ru") == "UTC"


def test_institutions_have_their_zones_and_only_iana_names_are_zones():
    assert (zone_of_institution("LUMC"), zone_of_institution("SSMU"), zone_of_institution(None)) == (
        "Europe/Amsterdam", "Asia/Tomsk", "UTC")
    assert is_zone_name("Asia/Tomsk") and is_zone_name("UTC")
    assert not any(is_zone_name(name) for name in ("asia/tomsk", "../etc/passwd", "", None, 7, "Mars/Base"))
